package io.jobpool.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import io.jobpool.testing.ServerProcess;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Tests webhook delivery across a crash of the server (the built jar, killed with SIGKILL) and
 * against a receiver so slow it could never keep up with the jobs.
 */
class WebhookDurabilityIT {

    private final Path data = Path.of("target", "it-data", "webhooks-" + System.nanoTime());

    @Test
    void anEventOwedToADownReceiverIsDeliveredExactlyOnceAfterAServerRestart() throws Exception {
        int port;
        try (ServerSocket reserved = new ServerSocket(0)) {
            port = reserved.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port + "/hook";
        Map<String, String> environment = Map.of("JOBPOOL_POOL_SIZE", "1", "JOBPOOL_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true",
                "JOBPOOL_WEBHOOKS_RETRY_SCHEDULE", "0s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s");
        String id;
        try (ServerProcess first = ServerProcess.start(data, environment)) {
            ApiClient api = new ApiClient(first.port());
            id = api.run("{\"task\":\"square\",\"args\":[12],\"callbackUrl\":\"" + url + "\"}", 10).get("id").asString();
            Await.until("a failed attempt at the receiver that is down", Duration.ofSeconds(15),
                    () -> api.get("/v1/jobs/" + id + "/deliveries").json().get("deliveries").get(0).get("attempts").size() >= 1);
            first.killHard();
        }
        try (Receiver receiver = new Receiver(port, Duration.ZERO);
                ServerProcess second = ServerProcess.start(data, environment)) {
            ApiClient api = new ApiClient(second.port());
            JsonNode delivered = Await.until("the delivery succeeded", Duration.ofSeconds(30),
                    () -> api.get("/v1/jobs/" + id + "/deliveries").json().get("deliveries").get(0),
                    d -> d.get("status").asString().equals("DELIVERED"));
            List<Receiver.Received> requests = receiver.requests("/hook");
            assertThat(requests).hasSize(1);
            assertThat(requests.getFirst().header("webhook-id")).isEqualTo(delivered.get("webhookId").asString());
            assertThat(ApiClient.JSON.readTree(requests.getFirst().body()).get("data").get("result").asInt()).isEqualTo(144);
        }
    }

    @Test
    void aStoreLockedPastItsBusyTimeoutDelaysDeliveriesWithoutStoppingThem() throws Exception {
        Path dir = data.toAbsolutePath();
        // The default URL with a short busy timeout: another process holding SQLite's write lock
        // longer than that (a backup, a slow disk) makes the delivery loop's transactions fail.
        String store = "jdbc:sqlite:" + dir.resolve("jobpool.db");
        Map<String, String> environment = Map.of("JOBPOOL_POOL_SIZE", "1", "JOBPOOL_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true",
                "SPRING_DATASOURCE_URL", store + "?journal_mode=WAL&synchronous=NORMAL&transaction_mode=IMMEDIATE"
                        + "&busy_timeout=300&foreign_keys=true");
        try (Receiver receiver = new Receiver(0, Duration.ZERO); ServerProcess server = ServerProcess.start(data, environment)) {
            ApiClient api = new ApiClient(server.port());
            try (java.sql.Connection other = java.sql.DriverManager.getConnection(store);
                    java.sql.Statement lock = other.createStatement()) {
                lock.execute("BEGIN EXCLUSIVE");
                Await.until("the delivery loop met the lock", Duration.ofSeconds(20),
                        () -> {
                            try {
                                return server.log().contains("Webhook deliveries could not be read or recorded");
                            } catch (java.io.IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        });
                lock.execute("ROLLBACK");
            }
            String id = api.run("{\"task\":\"square\",\"args\":[5],\"callbackUrl\":\"" + receiver.url("/after") + "\"}", 10)
                    .get("id").asString();
            Await.until("the callback of a job finished after the lock was delivered", Duration.ofSeconds(20),
                    () -> api.get("/v1/jobs/" + id + "/deliveries").json().get("deliveries").get(0),
                    d -> d.get("status").asString().equals("DELIVERED"));
            assertThat(receiver.requests("/after")).hasSize(1);
        }
    }

    @Test
    void aReceiverThatTakesTwoSecondsPerRequestDoesNotHoldUpJobs() throws Exception {
        int jobs = 1_000;
        try (Receiver slow = new Receiver(0, Duration.ofSeconds(2));
                ServerProcess server = ServerProcess.start(data, Map.of("JOBPOOL_POOL_SIZE", "2",
                        "JOBPOOL_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true", "JOBPOOL_WEBHOOKS_CONCURRENCY", "4"))) {
            ApiClient api = new ApiClient(server.port());
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < jobs; i++) {
                ids.add(api.submit("{\"task\":\"square\",\"args\":[" + i + "],\"callbackUrl\":\"" + slow.url("/slow") + "\"}")
                        .get("id").asString());
            }
            Await.until("all jobs finished", Duration.ofMinutes(3),
                    () -> api.get("/v1/jobs?status=QUEUED&limit=1").json().get("items").isEmpty()
                            && api.get("/v1/jobs?status=RUNNING&limit=1").json().get("items").isEmpty());
            // Four deliveries every two seconds cannot have kept pace: had jobs waited for their
            // callbacks, most would still be queued. They all finished with most callbacks owed.
            int received = slow.requests("/slow").size();
            assertThat(received).isLessThan(jobs / 2);
            for (String id : ids.subList(0, 20)) {
                assertThat(api.get("/v1/jobs/" + id).json().get("status").asString()).isEqualTo("SUCCEEDED");
            }
            JsonNode pending = api.get("/v1/jobs/" + ids.getLast() + "/deliveries").json().get("deliveries").get(0);
            assertThat(pending.get("status").asString()).isIn("PENDING", "DELIVERED");
        }
    }
}
