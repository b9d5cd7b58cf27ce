package io.jobpool.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Tests for webhook delivery end to end: real jobs on a real worker, a real HTTP receiver on
 * 127.0.0.1 (so private targets are allowed here), a shortened retry schedule, and every API
 * exchange checked against openapi.yaml.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "jobpool.webhooks.allow-private-targets=true",
        "jobpool.webhooks.retry-schedule=0s,200ms,400ms",
        "jobpool.pool.size=1",
        "management.server.port=0"})
@DirtiesContext
class WebhookDeliveryTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final byte[] KEY = new SecureRandom().generateSeed(32);

    @TempDir
    static Path data;

    private static Receiver receiver;

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry meters;

    private ApiClient api;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("jobpool.data-dir", () -> data.toAbsolutePath().toString());
        registry.add("jobpool.webhooks.secret", () -> "whsec_" + Base64.getEncoder().encodeToString(KEY));
    }

    @BeforeAll
    static void startReceiver() throws Exception {
        receiver = new Receiver();
    }

    @AfterAll
    static void stopReceiver() {
        receiver.close();
    }

    @BeforeEach
    void client() {
        api = new ApiClient(port);
    }

    @Test
    void aSucceededJobCallsBackWithTheJobAsTheApiReturnsIt() {
        String path = path("succeeded");
        String id = api.submit("{\"task\":\"square\",\"args\":[3],\"callbackUrl\":\"" + receiver.url(path) + "\"}").get("id").asString();

        Receiver.Received request = awaitRequests(path, 1).getFirst();

        JsonNode event = ApiClient.JSON.readTree(request.body());
        assertThat(event.get("type").asString()).isEqualTo("job.succeeded");
        JsonNode job = api.get("/v1/jobs/" + id).json();
        assertThat(event.get("data")).isEqualTo(job);
        assertThat(event.get("data").get("result").asInt()).isEqualTo(9);
        assertThat(Instant.parse(event.get("timestamp").asString())).isEqualTo(Instant.parse(job.get("finishedAt").asString()));
        assertThat(request.header("Content-Type")).isEqualTo("application/json");
        assertSignedWithTheConfiguredSecret(request);

        JsonNode delivery = awaitDelivery(id, "DELIVERED");
        assertThat(delivery.get("event").asString()).isEqualTo("job.succeeded");
        assertThat(delivery.get("url").asString()).isEqualTo(receiver.url(path));
        assertThat(delivery.get("webhookId").asString()).isEqualTo(request.header("webhook-id"));
        assertThat(delivery.get("attempts")).hasSize(1);
        assertThat(delivery.get("attempts").get(0).get("statusCode").asInt()).isEqualTo(200);
        assertThat(delivery.get("nextAttemptAt").isNull()).isTrue();
        assertThat(meters.get("jobpool.webhook.deliveries").tag("outcome", "delivered").counter().count()).isPositive();
        assertThat(meters.get("jobpool.webhook.deliveries.pending").gauge().value()).isNotNaN();
    }

    /**
     * The receiver answers 200 while another process holds the store's write lock: the outcome is
     * recorded once the lock is gone, within the claim's lease, and the event is not sent again
     * (it was, 30 s later, with a made-up "no answer recorded" attempt).
     */
    @Test
    @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
    void anAnswerTheStoreCouldNotRecordAtOnceIsRecordedLaterAndNotSentAgain(org.springframework.boot.test.system.CapturedOutput output)
            throws Exception {
        String path = path("locked-store");
        java.util.concurrent.CountDownLatch answer = new java.util.concurrent.CountDownLatch(1);
        receiver.hold(path, answer);
        String id = api.submit("{\"task\":\"square\",\"args\":[4],\"callbackUrl\":\"" + receiver.url(path) + "\"}").get("id").asString();
        try (java.sql.Connection holder = java.sql.DriverManager.getConnection("jdbc:sqlite:" + data.resolve("jobpool.db"));
                java.sql.Statement lock = holder.createStatement()) {
            awaitRequests(path, 1);
            lock.execute("BEGIN IMMEDIATE");
            try {
                answer.countDown();
                Await.until("the delivery's outcome refused by the locked store", DEADLINE,
                        () -> output.getAll().contains("could not be recorded yet"));
            } finally {
                lock.execute("ROLLBACK");
            }
        }
        JsonNode delivery = awaitDelivery(id, "DELIVERED");
        assertThat(delivery.get("attempts")).as("the one attempt, with its 200").hasSize(1);
        assertThat(delivery.get("attempts").get(0).get("statusCode").asInt()).isEqualTo(200);
        assertThat(receiver.requests(path)).as("sent once").hasSize(1);
    }

    @Test
    void aFailedJobCallsBackTheErrorCallbackUrlOnly() {
        String success = path("never");
        String failure = path("failed");
        String id = api.submit("{\"task\":\"fail\",\"args\":[\"x\"],\"callbackUrl\":\"" + receiver.url(success)
                + "\",\"errorCallbackUrl\":\"" + receiver.url(failure) + "\"}").get("id").asString();

        Receiver.Received request = awaitRequests(failure, 1).getFirst();

        JsonNode event = ApiClient.JSON.readTree(request.body());
        assertThat(event.get("type").asString()).isEqualTo("job.failed");
        assertThat(event.get("data")).isEqualTo(api.get("/v1/jobs/" + id).json());
        assertThat(event.get("data").get("error").get("message").asString()).isEqualTo("x");
        assertSignedWithTheConfiguredSecret(request);
        assertThat(awaitDelivery(id, "DELIVERED").get("event").asString()).isEqualTo("job.failed");
        assertThat(receiver.requests(success)).isEmpty();
    }

    @Test
    void aCancelledJobCallsBackTheErrorCallbackUrl() {
        String path = path("cancelled");
        String id = api.submit("{\"task\":\"square\",\"args\":[2],\"delaySeconds\":60,\"errorCallbackUrl\":\""
                + receiver.url(path) + "\"}").get("id").asString();
        api.post("/v1/jobs/" + id + "/cancel", null);

        JsonNode event = ApiClient.JSON.readTree(awaitRequests(path, 1).getFirst().body());

        assertThat(event.get("type").asString()).isEqualTo("job.cancelled");
        assertThat(event.get("data")).isEqualTo(api.get("/v1/jobs/" + id).json());
    }

    @Test
    void aReceiverFailingTwiceGetsThreeAttemptsWithTheSameWebhookIdAndGrowingGaps() {
        String path = path("flaky");
        receiver.script(path, 500, 500, 200);
        String id = api.submit("{\"task\":\"square\",\"args\":[4],\"callbackUrl\":\"" + receiver.url(path) + "\"}").get("id").asString();

        List<Receiver.Received> requests = awaitRequests(path, 3);

        assertThat(requests).extracting(r -> r.header("webhook-id")).containsOnly(requests.getFirst().header("webhook-id"));
        assertThat(requests).extracting(Receiver.Received::body).containsOnly(requests.getFirst().body());
        requests.forEach(WebhookDeliveryTest::assertSignedWithTheConfiguredSecret);
        long firstGap = requests.get(1).nanos() - requests.get(0).nanos();
        long secondGap = requests.get(2).nanos() - requests.get(1).nanos();
        assertThat(Duration.ofNanos(firstGap)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(Duration.ofNanos(secondGap)).isGreaterThanOrEqualTo(Duration.ofMillis(400)).isGreaterThan(Duration.ofNanos(firstGap));
        JsonNode delivery = awaitDelivery(id, "DELIVERED");
        assertThat(delivery.get("attempts").findValuesAsString("statusCode")).containsExactly("500", "500", "200");
        assertThat(delivery.get("lastError").isNull()).isTrue();
    }

    @Test
    void aReceiverAnswering410StopsTheDeliveryAfterOneAttempt() {
        String path = path("gone");
        receiver.script(path, 410);
        String id = api.submit("{\"task\":\"square\",\"args\":[5],\"callbackUrl\":\"" + receiver.url(path) + "\"}").get("id").asString();

        JsonNode delivery = awaitDelivery(id, "STOPPED");

        assertThat(delivery.get("attempts")).hasSize(1);
        assertThat(delivery.get("attempts").get(0).get("statusCode").asInt()).isEqualTo(410);
        assertThat(delivery.get("nextAttemptAt").isNull()).isTrue();
        assertThat(delivery.get("lastError").asString()).contains("410 Gone");
        assertThat(receiver.requests(path)).hasSize(1);
    }

    @Test
    void aRedirectIsNeverFollowedAndTheDeliveryGivesUpWhenTheScheduleRunsOut() {
        String path = path("moved");
        receiver.script(path, 302, 302, 302);
        String id = api.submit("{\"task\":\"square\",\"args\":[6],\"callbackUrl\":\"" + receiver.url(path) + "\"}").get("id").asString();

        JsonNode delivery = awaitDelivery(id, "FAILED");

        assertThat(receiver.requests(path)).hasSize(3);
        assertThat(receiver.requests(path + "-target")).isEmpty();
        assertThat(delivery.get("attempts").findValuesAsString("statusCode")).containsExactly("302", "302", "302");
        assertThat(delivery.get("attempts").get(0).get("error").asString()).contains("not followed");
        assertThat(delivery.get("lastError").asString()).startsWith("gave up after 3 attempts");
    }

    @Test
    void aRetryByHandRedeliversAStoppedDeliveryWithTheSameWebhookId() {
        String path = path("again");
        receiver.script(path, 410);
        String id = api.submit("{\"task\":\"square\",\"args\":[7],\"callbackUrl\":\"" + receiver.url(path) + "\"}").get("id").asString();
        JsonNode stopped = awaitDelivery(id, "STOPPED");

        ApiClient.Response retried = api.post("/v1/jobs/" + id + "/deliveries/" + stopped.get("id").asString() + "/retry", null);

        assertThat(retried.status()).isEqualTo(200);
        assertThat(retried.json().get("id").asString()).isEqualTo(stopped.get("id").asString());
        JsonNode delivered = awaitDelivery(id, "DELIVERED");
        assertThat(delivered.get("attempts").findValuesAsString("statusCode")).containsExactly("410", "200");
        List<Receiver.Received> requests = receiver.requests(path);
        assertThat(requests).hasSize(2);
        assertThat(requests.get(1).header("webhook-id")).isEqualTo(requests.get(0).header("webhook-id"))
                .isEqualTo(delivered.get("webhookId").asString());
    }

    @Test
    void aFinishedBatchCallsBackOnceWithTheBatchAndListsTheDelivery() {
        String path = path("batch");
        String id = api.post("/v1/batches", "{\"task\":\"square\",\"items\":[1,2,3],\"chunksize\":1,\"callbackUrl\":\""
                + receiver.url(path) + "\"}").json().get("id").asString();

        Receiver.Received request = awaitRequests(path, 1).getFirst();

        JsonNode event = ApiClient.JSON.readTree(request.body());
        assertThat(event.get("type").asString()).isEqualTo("batch.completed");
        JsonNode batch = api.get("/v1/batches/" + id).json();
        assertThat(event.get("data")).isEqualTo(batch);
        assertThat(event.get("data").get("counts").get("succeeded").asInt()).isEqualTo(3);
        assertSignedWithTheConfiguredSecret(request);
        JsonNode delivery = awaitBatchDelivery(id, path, "DELIVERED");
        assertThat(delivery.get("event").asString()).isEqualTo("batch.completed");
        assertThat(delivery.get("webhookId").asString()).isEqualTo(request.header("webhook-id"));
        assertThat(api.get("/v1/batches/" + id + "/deliveries").json().get("deliveries")).hasSize(1);
        assertThat(receiver.requests(path)).hasSize(1);
    }

    @Test
    void aBatchWithFailedItemsCallsBothUrlsAndEitherDeliveryCanBeSentAgainByHand() {
        String success = path("batch-done");
        String failure = path("batch-failed");
        receiver.script(failure, 410);
        String id = api.post("/v1/batches", "{\"task\":\"fail\",\"items\":[\"boom\"],\"callbackUrl\":\"" + receiver.url(success)
                + "\",\"errorCallbackUrl\":\"" + receiver.url(failure) + "\"}").json().get("id").asString();

        awaitBatchDelivery(id, success, "DELIVERED");
        JsonNode stopped = awaitBatchDelivery(id, failure, "STOPPED");
        ApiClient.Response retried = api.post("/v1/batches/" + id + "/deliveries/" + stopped.get("id").asString() + "/retry", null);

        assertThat(retried.status()).isEqualTo(200);
        JsonNode delivered = awaitBatchDelivery(id, failure, "DELIVERED");
        assertThat(delivered.get("attempts").findValuesAsString("statusCode")).containsExactly("410", "200");
        List<Receiver.Received> requests = receiver.requests(failure);
        assertThat(requests).hasSize(2);
        assertThat(requests.get(1).header("webhook-id")).isEqualTo(requests.get(0).header("webhook-id"));
        assertThat(ApiClient.JSON.readTree(requests.get(1).body()).get("data").get("status").asString()).isEqualTo("FAILED");
        ApiClient.Response unknown = api.post("/v1/batches/" + id + "/deliveries/" + UUID.randomUUID() + "/retry", null);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(api.get("/v1/batches/" + UUID.randomUUID() + "/deliveries").status()).isEqualTo(404);
    }

    /** The batch's delivery to {@code path} once it has {@code status}. */
    private JsonNode awaitBatchDelivery(String batchId, String path, String status) {
        return Await.until("the delivery of batch " + batchId + " to " + path + " is " + status, DEADLINE,
                () -> {
                    for (JsonNode delivery : api.get("/v1/batches/" + batchId + "/deliveries").json().get("deliveries")) {
                        if (delivery.get("url").asString().equals(receiver.url(path))) {
                            return delivery;
                        }
                    }
                    return null;
                }, delivery -> delivery != null && delivery.get("status").asString().equals(status));
    }

    @Test
    void aJobWithoutCallbacksHasNoDeliveriesAndUnknownOnesAre404() {
        String id = api.run("{\"task\":\"square\",\"args\":[8]}", 30).get("id").asString();

        assertThat(api.get("/v1/jobs/" + id + "/deliveries").json().get("deliveries")).isEmpty();
        ApiClient.Response unknownDelivery = api.post("/v1/jobs/" + id + "/deliveries/" + UUID.randomUUID() + "/retry", null);
        assertThat(unknownDelivery.status()).isEqualTo(404);
        assertThat(unknownDelivery.json().get("type").asString()).isEqualTo("not-found");
        ApiClient.Response unknownJob = api.get("/v1/jobs/" + UUID.randomUUID() + "/deliveries");
        assertThat(unknownJob.status()).isEqualTo(404);
        assertThat(unknownJob.json().get("type").asString()).isEqualTo("not-found");
    }

    private static String path(String name) {
        return "/hooks/" + name + "-" + UUID.randomUUID();
    }

    private static List<Receiver.Received> awaitRequests(String path, int count) {
        return Await.until(count + " request(s) to " + path, DEADLINE, () -> receiver.requests(path), r -> r.size() >= count);
    }

    /** The job's only delivery once it has {@code status}. */
    private JsonNode awaitDelivery(String jobId, String status) {
        JsonNode list = Await.until("the delivery of job " + jobId + " is " + status, DEADLINE,
                () -> api.get("/v1/jobs/" + jobId + "/deliveries").json().get("deliveries"),
                deliveries -> deliveries.size() == 1 && deliveries.get(0).get("status").asString().equals(status));
        return list.get(0);
    }

    /** Verifies the Standard Webhooks signature with an HMAC of the test's own, independent of the service's signer. */
    private static void assertSignedWithTheConfiguredSecret(Receiver.Received request) {
        String id = request.header("webhook-id");
        String timestamp = request.header("webhook-timestamp");
        assertThat(id).startsWith("msg_");
        assertThat(Long.parseLong(timestamp)).isCloseTo(Instant.now().getEpochSecond(), org.assertj.core.data.Offset.offset(60L));
        String expected;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
            expected = "v1," + Base64.getEncoder().encodeToString(
                    mac.doFinal((id + "." + timestamp + "." + request.body()).getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertThat(request.header("webhook-signature").split(" ")).contains(expected);
    }
}
