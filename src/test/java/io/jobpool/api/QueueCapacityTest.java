package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Tests the bounded queue: past {@code jobpool.queue.capacity} a submission is 429 queue-full, like {@code Queue.Full}. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "jobpool.queue.capacity=2", "jobpool.pool.size=1", "management.server.port=0"})
class QueueCapacityTest {

    private static final Path DATA = Path.of("target", "test-data", "capacity-" + ProcessHandle.current().pid());

    @LocalServerPort
    int port;

    /** Its queue estimate, which the capacity check reads (GET /v1/pool counts the store). */
    @org.springframework.beans.factory.annotation.Autowired
    io.jobpool.job.JobService jobs;

    @DynamicPropertySource
    static void store(DynamicPropertyRegistry registry) {
        registry.add("jobpool.data-dir", () -> DATA.toAbsolutePath().toString());
    }

    /**
     * Each test starts with the queue counted as empty: the estimate errs high until its next count
     * (a job the previous test ran through the queue is still counted for up to the refresh interval).
     */
    @org.junit.jupiter.api.BeforeEach
    void emptyQueue() {
        awaitEmptyQueue(new ApiClient(port));
    }

    @Test
    void aFullQueueAnswers429WithRetryAfterAndStoresNothing() {
        ApiClient api = new ApiClient(port);
        List<String> queued = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            queued.add(api.submit("{\"task\":\"echo\",\"delaySeconds\":60}").get("id").asString());
        }
        ApiClient.Response full = Await.until("the queue counted as full", Duration.ofSeconds(5),
                () -> api.post("/v1/jobs", "{\"task\":\"echo\",\"args\":[\"one too many\"]}"), r -> r.status() == 429);
        assertThat(full.header("Retry-After")).isEqualTo("1");
        assertThat(full.json().get("type").asString()).isEqualTo("queue-full");
        assertThat(api.get("/v1/jobs?status=QUEUED").json().get("items").findValuesAsString("id")).containsExactlyInAnyOrderElementsOf(queued);
        ApiClient.Response batchFull = api.post("/v1/batches", "{\"task\":\"square\",\"items\":[1],\"chunksize\":1}");
        assertThat(batchFull.status()).isEqualTo(429);
        assertThat(batchFull.json().get("detail").asString()).contains("holds 2 of its capacity of 2", "needs room for 1");
        queued.forEach(id -> api.post("/v1/jobs/" + id + "/cancel", null));
        // The places the cancels freed are free as soon as they answered, not at the next count.
        assertThat(api.post("/v1/jobs?wait=10", "{\"task\":\"echo\"}").status()).isEqualTo(200);
        awaitEmptyQueue(api);
    }

    /** Each submission takes its place before its insert: checked first and counted after, 20 at once put 11 in a queue of 3. */
    @Test
    void concurrentSubmissionsNeverOverrunTheCapacity() throws Exception {
        ApiClient api = new ApiClient(port);
        List<java.util.concurrent.Future<ApiClient.Response>> answers = new ArrayList<>();
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        try (var clients = java.util.concurrent.Executors.newFixedThreadPool(20)) {
            for (int i = 0; i < 20; i++) {
                answers.add(clients.submit(() -> {
                    start.await();
                    return api.post("/v1/jobs", "{\"task\":\"echo\",\"delaySeconds\":60}");
                }));
            }
            start.countDown();
        }
        List<String> accepted = new ArrayList<>();
        for (var answer : answers) {
            ApiClient.Response response = answer.get();
            assertThat(response.status()).as(response.body()).isIn(202, 429);
            if (response.status() == 202) {
                accepted.add(response.json().get("id").asString());
            }
        }
        assertThat(accepted).hasSize(2);
        assertThat(api.get("/v1/jobs?status=QUEUED").json().get("items").findValuesAsString("id")).containsExactlyInAnyOrderElementsOf(accepted);
        accepted.forEach(id -> api.post("/v1/jobs/" + id + "/cancel", null));
        awaitEmptyQueue(api);
    }

    @Test
    void theRoomACancelledBatchFreesIsThereOnceTheCancelAnswered() {
        ApiClient api = new ApiClient(port);
        String first = "{\"task\":\"square\",\"items\":[1,2],\"chunksize\":1,\"delaySeconds\":60}";
        String batch = api.post("/v1/batches", first).json().get("id").asString();
        assertThat(api.get("/v1/pool").json().get("queued").asLong()).isEqualTo(2);
        assertThat(api.post("/v1/batches/" + batch + "/cancel", null).status()).isEqualTo(200);
        assertThat(api.get("/v1/pool").json().get("queued").asLong()).isZero();
        ApiClient.Response second = api.post("/v1/batches", first.replace("[1,2]", "[3,4]"));
        assertThat(second.status()).as(second.body()).isEqualTo(202);
        api.post("/v1/batches/" + second.json().get("id").asString() + "/cancel", null);
        awaitEmptyQueue(api);
    }

    /**
     * The next test starts with the whole queue free: none queued in the store (GET /v1/pool), and
     * none in the estimate the capacity check reads (a job that passed through the queue is counted
     * there until its next count).
     */
    private void awaitEmptyQueue(ApiClient api) {
        Await.until("the queue counted as empty", Duration.ofSeconds(5),
                () -> api.get("/v1/pool").json().get("queued").asLong() == 0 && jobs.queued() == 0);
    }

    @Test
    void aBatchLargerThanTheWholeQueueIsRefusedAsInvalidNotAsFull() {
        ApiClient api = new ApiClient(port);
        ApiClient.Response tooMany = api.post("/v1/batches", "{\"task\":\"square\",\"items\":[1,2,3,4,5],\"chunksize\":1}");
        assertThat(tooMany.status()).as("retrying would never help").isEqualTo(400);
        assertThat(tooMany.json().get("type").asString()).isEqualTo("validation");
        assertThat(tooMany.json().get("detail").asString()).contains("5 chunk jobs", "at most 2", "chunksize of at least 3");
        assertThat(api.get("/v1/jobs?status=QUEUED").json().get("items")).isEmpty();
        assertThat(api.run("{\"task\":\"square\",\"args\":[3]}", 30).get("result").asInt()).isEqualTo(9);
    }

    /** Without a chunksize the service picks one (Pool.map's four chunks per worker) that fits the queue. */
    @Test
    void aBatchWithoutChunksizeGetsChunksTheQueueHolds() {
        ApiClient api = new ApiClient(port);
        awaitEmptyQueue(api);
        ApiClient.Response accepted = api.post("/v1/batches", "{\"task\":\"square\",\"items\":[1,2,3,4,5,6,7,8]}");
        assertThat(accepted.status()).isEqualTo(202);
        assertThat(accepted.json().get("chunks").asInt()).isEqualTo(2);
        assertThat(accepted.json().get("chunksize").asInt()).isEqualTo(4);
        String id = accepted.json().get("id").asString();
        assertThat(api.get("/v1/batches/" + id + "/results?timeout=30").json().get("results").toString())
                .isEqualTo("[1,4,9,16,25,36,49,64]");
    }
}
