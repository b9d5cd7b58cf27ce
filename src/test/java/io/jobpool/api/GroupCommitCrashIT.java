package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import io.jobpool.testing.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Tests that a kill -9 while group commits are in flight loses no acknowledged job and stores
 * none twice: 32 clients keep submitting (each job carries a unique number) while jobs finish,
 * so inserts and completions are being committed in groups at the moment the server dies.
 */
class GroupCommitCrashIT {

    private static final int CLIENTS = 32;
    /** Enough acknowledged jobs that several groups have committed and more are queued behind them. */
    private static final int ACKNOWLEDGED_BEFORE_KILL = 1_500;
    /** Every client stops here even if the kill came late, so the loop is bounded. */
    private static final int MAX_SUBMISSIONS = 20_000;

    private final Path data = Path.of("target", "it-data", "group-commit-crash-" + System.nanoTime());
    private final Map<String, String> environment = Map.of("JOBPOOL_POOL_SIZE", "2",
            "JOBPOOL_QUEUE_CAPACITY", Integer.toString(MAX_SUBMISSIONS * 2));

    @Test
    void killMinus9DuringGroupCommitsKeepsEveryAcknowledgedJobExactlyOnce() throws Exception {
        Map<String, Integer> acknowledged = new ConcurrentHashMap<>();
        AtomicInteger attempted = new AtomicInteger();
        try (ServerProcess first = ServerProcess.start(data, environment)) {
            HttpClient http = HttpClient.newHttpClient();
            URI submit = URI.create("http://127.0.0.1:" + first.port() + "/v1/jobs");
            AtomicBoolean killed = new AtomicBoolean();
            try (ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
                List<Future<?>> work = new ArrayList<>();
                for (int client = 0; client < CLIENTS; client++) {
                    work.add(clients.submit(() -> submitUntilKilled(http, submit, acknowledged, attempted, killed)));
                }
                Await.until(ACKNOWLEDGED_BEFORE_KILL + " jobs acknowledged", Duration.ofMinutes(3),
                        () -> acknowledged.size() >= ACKNOWLEDGED_BEFORE_KILL);
                killed.set(true);
                first.killHard();
                for (Future<?> future : work) {
                    future.get();
                }
            }
        }
        assertThat(attempted.get()).as("requests were still in flight at the kill").isGreaterThan(acknowledged.size());

        try (ServerProcess second = ServerProcess.start(data, environment)) {
            ApiClient api = new ApiClient(second.port());
            Await.until("every stored job finished after the restart", Duration.ofMinutes(5),
                    () -> api.get("/v1/jobs?status=QUEUED&limit=1").json().get("items").isEmpty()
                            && api.get("/v1/jobs?status=RUNNING&limit=1").json().get("items").isEmpty());
            Map<Integer, String> storedByNumber = new HashMap<>();
            Map<String, JsonNode> stored = new HashMap<>();
            String cursor = null;
            do {
                JsonNode page = api.get("/v1/jobs?limit=1000" + (cursor == null ? "" : "&cursor=" + cursor)).json();
                for (JsonNode job : page.get("items")) {
                    int number = job.get("args").get(0).asInt();
                    assertThat(storedByNumber.put(number, job.get("id").asString()))
                            .as("submission %d stored once", number).isNull();
                    stored.put(job.get("id").asString(), job);
                }
                cursor = page.get("next").isNull() ? null : page.get("next").asString();
            } while (cursor != null);

            assertThat(stored.keySet()).as("every job answered 202 survived").containsAll(acknowledged.keySet());
            assertThat(stored.size()).as("nothing stored that was never sent").isLessThanOrEqualTo(attempted.get());
            stored.forEach((id, job) -> {
                assertThat(job.get("status").asString()).as(id).isEqualTo("SUCCEEDED");
                assertThat(job.get("result").get(0).asInt()).isEqualTo(job.get("args").get(0).asInt());
            });
            acknowledged.forEach((id, number) ->
                    assertThat(stored.get(id).get("args").get(0).asInt()).as(id).isEqualTo(number));
        }
    }

    /** Submits numbered echo jobs until the server is gone; a refused or cut connection ends the client. */
    private static Void submitUntilKilled(HttpClient http, URI submit, Map<String, Integer> acknowledged,
            AtomicInteger attempted, AtomicBoolean killed) throws InterruptedException {
        while (!killed.get()) {
            int number = attempted.getAndIncrement();
            if (number >= MAX_SUBMISSIONS) {
                return null;
            }
            HttpResponse<String> response;
            try {
                response = http.send(HttpRequest.newBuilder(submit).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"task\":\"echo\",\"args\":[" + number + "]}")).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (IOException serverGone) {
                return null;
            }
            assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
            acknowledged.put(ApiClient.JSON.readTree(response.body()).get("id").asString(), number);
        }
        return null;
    }
}
