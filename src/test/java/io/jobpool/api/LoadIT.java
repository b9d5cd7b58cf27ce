package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.ServerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Tests that 10,000 jobs from 32 concurrent clients all complete exactly once, counted in the
 * store and checked in the results. Speed is measured by the benchmark, not asserted here.
 */
class LoadIT {

    private static final int JOBS = 10_000;
    private static final int CLIENTS = 32;

    @Test
    void tenThousandJobsFrom32ClientsCompleteExactlyOnce() throws Exception {
        try (ServerProcess server = ServerProcess.start(Path.of("target", "it-data", "load-" + System.nanoTime()),
                Map.of("JOBPOOL_POOL_SIZE", "2"))) {
            HttpClient http = HttpClient.newHttpClient();
            URI submit = URI.create("http://127.0.0.1:" + server.port() + "/v1/jobs");
            Map<String, Integer> submitted = new ConcurrentHashMap<>();
            try (ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
                List<Future<?>> work = new java.util.ArrayList<>();
                for (int client = 0; client < CLIENTS; client++) {
                    int first = client;
                    work.add(clients.submit(() -> {
                        for (int x = first; x < JOBS; x += CLIENTS) {
                            HttpResponse<String> response = http.send(HttpRequest.newBuilder(submit)
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"task\":\"square\",\"args\":[" + x + "]}")).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
                            submitted.put(ApiClient.JSON.readTree(response.body()).get("id").asString(), x);
                        }
                        return null;
                    }));
                }
                for (Future<?> future : work) {
                    future.get();
                }
            }
            assertThat(submitted).hasSize(JOBS);

            ApiClient api = new ApiClient(server.port());
            io.jobpool.testing.Await.until("every job finished", Duration.ofMinutes(5),
                    () -> api.get("/v1/jobs?status=QUEUED&limit=1").json().get("items").isEmpty()
                            && api.get("/v1/jobs?status=RUNNING&limit=1").json().get("items").isEmpty());
            Map<String, JsonNode> stored = new ConcurrentHashMap<>();
            String cursor = null;
            do {
                JsonNode page = api.get("/v1/jobs?limit=1000" + (cursor == null ? "" : "&cursor=" + cursor)).json();
                page.get("items").forEach(job -> assertThat(stored.put(job.get("id").asString(), job)).isNull());
                cursor = page.get("next").isNull() ? null : page.get("next").asString();
            } while (cursor != null);
            assertThat(stored.keySet()).isEqualTo(submitted.keySet());
            stored.forEach((id, job) -> {
                long x = submitted.get(id);
                assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
                assertThat(job.get("attempts").asInt()).as("ran exactly once").isEqualTo(1);
                assertThat(job.get("result").asLong()).isEqualTo(x * x);
            });
        }
    }
}
