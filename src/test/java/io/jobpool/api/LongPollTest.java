package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import io.jobpool.testing.ServiceTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Tests that waiting requests hold no server thread each: with 1,000 clients long-polling a job
 * that is still running, submissions and sync calls are still answered.
 */
class LongPollTest extends ServiceTest {

    private static final int POLLERS = 1_000;

    @Test
    void athousandLongPollsDoNotStarveSubmissions() {
        String blocker = api.submit("{\"task\":\"sleep\",\"args\":[60]}").get("id").asString();
        Await.until("the polled job running", Duration.ofSeconds(10),
                () -> api.get("/v1/jobs/" + blocker).json().get("status").asString().equals("RUNNING"));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest poll = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/jobs/" + blocker + "?wait=60"))
                .timeout(Duration.ofSeconds(90)).build();
        List<CompletableFuture<HttpResponse<String>>> polls = new ArrayList<>();
        for (int i = 0; i < POLLERS; i++) {
            polls.add(http.sendAsync(poll, HttpResponse.BodyHandlers.ofString()));
        }
        try {
            // Each of these needs a request thread while all the polls still wait on the sleeping job.
            for (int i = 0; i < 20; i++) {
                ApiClient.Response sync = api.post("/v1/jobs?wait=30", "{\"task\":\"square\",\"args\":[" + i + "]}");
                assertThat(sync.status()).isEqualTo(200);
                assertThat(sync.json().get("result").asInt()).isEqualTo(i * i);
            }
            assertThat(polls).noneMatch(CompletableFuture::isDone);
        } finally {
            api.post("/v1/jobs/" + blocker + "/cancel", null);
        }
        for (CompletableFuture<HttpResponse<String>> answer : polls) {
            HttpResponse<String> response = answer.join();
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).contains("\"status\":\"CANCELLED\"");
        }
    }
}
