package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import io.jobpool.testing.ServiceTest;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Tests for {@code /v1/batches}: map, starmap and imap_unordered over real worker processes. */
class BatchApiTest extends ServiceTest {

    @org.springframework.beans.factory.annotation.Autowired
    private io.jobpool.job.BatchStore batchStore;

    @org.springframework.beans.factory.annotation.Autowired
    private io.jobpool.job.BatchService batchService;

    private static final Map<String, String> NDJSON = Map.of("Accept", "application/x-ndjson");

    @Test
    void mapOfSquareGivesEveryResultInItemOrderWhateverTheChunksize() {
        String items = IntStream.rangeClosed(1, 10_000).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]"));
        for (int chunksize : new int[] {1, 7, 1_000}) {
            ApiClient.Response submitted = api.post("/v1/batches",
                    "{\"task\":\"square\",\"items\":" + items + ",\"chunksize\":" + chunksize + "}");
            assertThat(submitted.status()).as(submitted.body()).isEqualTo(202);
            String id = submitted.json().get("id").asString();
            assertThat(submitted.header("Location")).isEqualTo("/v1/batches/" + id);
            assertThat(submitted.json().get("chunks").asInt()).isEqualTo((10_000 + chunksize - 1) / chunksize);

            JsonNode results = results(id, 120).json().get("results");
            assertThat(results).hasSize(10_000);
            for (int i = 0; i < 10_000; i++) {
                assertThat(results.get(i).asLong()).as("result %d with chunksize %d", i, chunksize).isEqualTo((long) (i + 1) * (i + 1));
            }
            JsonNode batch = api.get("/v1/batches/" + id).json();
            assertThat(batch.get("status").asString()).isEqualTo("SUCCEEDED");
            assertThat(batch.get("successful").asBoolean()).isTrue();
            assertThat(batch.get("counts").get("succeeded").asInt()).isEqualTo(10_000);
            assertThat(batch.get("counts").get("total").asInt()).isEqualTo(10_000);
            api.delete("/v1/batches/" + id);
        }
    }

    @Test
    void starmapOfAddGivesThePairwiseSums() {
        JsonNode batch = submit("{\"task\":\"add\",\"starmap\":true,\"chunksize\":2,\"items\":[[1,2],[3,4],[5,6],[10,-10],[0.5,0.25]]}");
        JsonNode results = results(batch.get("id").asString(), 30).json().get("results");
        assertThat(results.toString()).isEqualTo("[3,7,11,0,0.75]");
        assertThat(batch.get("starmap").asBoolean()).isTrue();
    }

    /** As a job's result: a problem is not what results are, so Accept naming only that is 406, before any wait. */
    @Test
    void resultsAskedForAsAProblemOnlyAreNotAcceptableAsAJobsResultIs() {
        String id = submit("{\"task\":\"square\",\"items\":[3]}").get("id").asString();
        results(id, 30);
        for (String path : List.of("/v1/batches/" + id + "/results?timeout=30", "/v1/jobs?batch=" + id)) {
            ApiClient.Response refused = api.raw("GET", path, null, Map.of("Accept", "application/problem+json"));
            assertThat(refused.status()).as(path).isEqualTo(406);
            assertThat(refused.json().get("type").asString()).isEqualTo("not-acceptable");
        }
    }

    @Test
    void withoutAChunksizeTheServiceChoosesOneLikePoolMap() {
        JsonNode batch = submit("{\"task\":\"square\",\"items\":" + range(100) + "}");
        // 100 items over 2 workers: ceil(100 / (4 * 2)) = 13 per chunk, 8 chunks.
        assertThat(batch.get("chunksize").asInt()).isEqualTo(13);
        assertThat(batch.get("chunks").asInt()).isEqualTo(8);
        assertThat(results(batch.get("id").asString(), 30).json().get("results")).hasSize(100);
    }

    @Test
    @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
    void failingItemsAreListedByIndexAndTheOthersStillRun(org.springframework.boot.test.system.CapturedOutput output) {
        JsonNode batch = submit("{\"task\":\"add\",\"starmap\":true,\"chunksize\":3,"
                + "\"items\":[[1],[\"x\"],[2],[3],[4],[\"y\"],[5],[\"z\"]]}");
        String id = batch.get("id").asString();
        ApiClient.Response failed = api.get("/v1/batches/" + id + "/results?timeout=30");
        assertThat(failed.status()).as(failed.body()).isEqualTo(424);
        assertThat(failed.json().get("type").asString()).isEqualTo("job-failed");
        assertThat(failed.json().get("failures").findValues("index").stream().map(JsonNode::asInt).toList())
                .containsExactly(1, 5, 7);
        assertThat(failed.json().get("failures").get(0).get("error").get("type").asString())
                .isEqualTo("java.lang.IllegalArgumentException");
        assertThat(failed.json().get("failures").get(0).get("error").get("message").asString()).contains("\"x\"");

        Map<Integer, JsonNode> lines = lines(api.get("/v1/batches/" + id + "/results", NDJSON));
        assertThat(lines.keySet()).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(List.of(0, 2, 3, 4, 6).stream().map(i -> lines.get(i).get("result").asInt()).toList())
                .containsExactly(1, 2, 3, 4, 5);
        assertThat(lines.get(5).get("error").get("type").asString()).isEqualTo("java.lang.IllegalArgumentException");

        JsonNode counts = api.get("/v1/batches/" + id).json().get("counts");
        assertThat(counts.get("succeeded").asInt()).isEqualTo(5);
        assertThat(counts.get("failed").asInt()).isEqualTo(3);
        assertThat(api.get("/v1/batches/" + id).json().get("status").asString()).isEqualTo("FAILED");
        // Chunk jobs whose items failed end SUCCEEDED: the log still tells of the failures, and of the batch's end.
        io.jobpool.testing.Await.until("the batch's end logged", java.time.Duration.ofSeconds(10),
                () -> output.getOut().contains("Batch " + id + " finished FAILED: 8 item(s) of task add, 5 succeeded, 3 failed, 0 cancelled"));
        assertThat(output.getOut()).contains("(a chunk of batch " + id + ") ran its items")
                .contains("ItemsFailedError: 1 of 3 items failed; the first: java.lang.IllegalArgumentException");
    }

    @Test
    void anItemWhoseResultPassesTheLimitFailsAloneWithResultTooLargeError() {
        // The service tests run with jobpool.jobs.max-result-bytes=8KB.
        String big = "y".repeat(10_000);
        JsonNode batch = submit("{\"task\":\"echo\",\"chunksize\":4,\"items\":[[\"a\"],[\"" + big + "\"],[7],[\"b\"]]}");
        String id = batch.get("id").asString();
        ApiClient.Response failed = api.get("/v1/batches/" + id + "/results?timeout=30");
        assertThat(failed.status()).as(failed.body()).isEqualTo(424);
        assertThat(failed.json().get("failures").findValues("index").stream().map(JsonNode::asInt).toList()).containsExactly(1);
        assertThat(failed.json().get("failures").get(0).get("error").get("type").asString()).isEqualTo("ResultTooLargeError");
        assertThat(api.get("/v1/batches/" + id).json().get("counts").get("succeeded").asInt()).isEqualTo(3);
    }

    @Test
    void anItemWhoseResultJsonCannotHoldFailsAlone() {
        JsonNode batch = submit("{\"task\":\"square\",\"chunksize\":3,\"items\":[2,1e200,3]}");
        ApiClient.Response failed = api.get("/v1/batches/" + batch.get("id").asString() + "/results?timeout=30");
        assertThat(failed.status()).as(failed.body()).isEqualTo(424);
        assertThat(failed.json().get("failures").findValues("index").stream().map(JsonNode::asInt).toList()).containsExactly(1);
        assertThat(failed.json().get("failures").get(0).get("error").get("type").asString()).isEqualTo("ResultNotSerializableError");
    }

    @Test
    void retriedItemsAreCountedOnceAndOnlyTheFailedItemsRunAgain() {
        JsonNode batch = submit("{\"task\":\"add\",\"starmap\":true,\"chunksize\":4,\"maxRetries\":1,"
                + "\"items\":[[1],[\"x\"],[2],[3]]}");
        String id = batch.get("id").asString();
        assertThat(api.get("/v1/batches/" + id + "/results?timeout=60").status()).isEqualTo(424);
        JsonNode counts = api.get("/v1/batches/" + id).json().get("counts");
        assertThat(counts.get("succeeded").asInt()).isEqualTo(3);
        assertThat(counts.get("failed").asInt()).isEqualTo(1);
        assertThat(counts.get("retried").asInt()).as("only the failing item ran twice").isEqualTo(1);
        JsonNode chunk = api.get("/v1/jobs?batch=" + id).json().get("items").get(0);
        assertThat(chunk.get("attempts").asInt()).isEqualTo(2);
        JsonNode errors = api.get("/v1/jobs/" + chunk.get("id").asString()).json().get("errors");
        assertThat(errors.findValues("attempt").stream().map(JsonNode::asInt).toList()).containsExactly(1, 2);
        assertThat(errors.get(0).get("type").asString()).isEqualTo("ItemsFailedError");
    }

    /** Its items' outcomes so far are not the result of a chunk cancelled while it waited for a retry; the batch tells them. */
    @Test
    void aChunkCancelledWhileWaitingForARetryShowsNoResult() {
        JsonNode batch = submit("{\"task\":\"square\",\"chunksize\":2,\"maxRetries\":5,\"items\":[\"a\",2]}");
        String id = batch.get("id").asString();
        JsonNode waiting = Await.until("the chunk waiting for its retry", Duration.ofSeconds(30),
                () -> api.get("/v1/jobs?batch=" + id).json().get("items").get(0),
                chunk -> chunk.get("status").asString().equals("QUEUED") && chunk.get("attempts").asInt() >= 1);
        assertThat(api.post("/v1/batches/" + id + "/cancel", null).status()).isEqualTo(200);
        JsonNode chunk = api.get("/v1/jobs/" + waiting.get("id").asString()).json();
        assertThat(chunk.get("status").asString()).isEqualTo("CANCELLED");
        assertThat(chunk.get("result").isNull()).as("result of %s", chunk).isTrue();
        ApiClient.Response results = api.get("/v1/batches/" + id + "/results");
        assertThat(results.status()).isEqualTo(424);
        assertThat(results.json().get("type").asString()).isEqualTo("job-cancelled");
    }

    @Test
    void itemsOfAChunkThatTimedOutInEveryAttemptCountAsRetried() {
        JsonNode batch = submit("{\"task\":\"sleep\",\"chunksize\":2,\"maxRetries\":1,\"timeoutSeconds\":0.3,\"items\":[30,30]}");
        String id = batch.get("id").asString();
        ApiClient.Response failed = api.get("/v1/batches/" + id + "/results?timeout=60");
        assertThat(failed.status()).as(failed.body()).isEqualTo(424);
        assertThat(failed.json().get("failures").findValuesAsString("type")).containsExactly("TimeoutError", "TimeoutError");
        JsonNode counts = api.get("/v1/batches/" + id).json().get("counts");
        assertThat(counts.get("failed").asInt()).isEqualTo(2);
        assertThat(counts.get("retried").asInt()).as("each item ran in both attempts of its chunk").isEqualTo(2);
    }

    @Test
    void theChunksOfABatchAreJobsListedByBatch() {
        JsonNode batch = submit("{\"task\":\"square\",\"items\":" + range(10) + ",\"chunksize\":4}");
        String id = batch.get("id").asString();
        results(id, 30);
        JsonNode chunks = api.get("/v1/jobs?batch=" + id).json().get("items");
        assertThat(chunks).hasSize(3);
        for (JsonNode chunk : chunks) {
            assertThat(chunk.get("batchId").asString()).isEqualTo(id);
            assertThat(chunk.get("status").asString()).isEqualTo("SUCCEEDED");
        }
        assertThat(chunks.findValuesAsString("id")).doesNotHaveDuplicates();

        // A chunk is forgotten with its batch only: alone it would leave a hole in the results.
        ApiClient.Response forget = api.delete("/v1/jobs/" + chunks.get(0).get("id").asString());
        assertThat(forget.status()).as(forget.body()).isEqualTo(409);
        assertThat(forget.json().get("type").asString()).isEqualTo("batch-chunk");
        assertThat(forget.json().get("batchId").asString()).isEqualTo(id);
        assertThat(results(id, 30).json().get("results").toString()).isEqualTo("[0,1,4,9,16,25,36,49,64,81]");
    }

    @Test
    void theStreamYieldsEachIndexOnceAndThenCloses() {
        JsonNode batch = submit("{\"task\":\"square\",\"items\":" + range(500) + ",\"chunksize\":9}");
        ApiClient.Response stream = api.get("/v1/batches/" + batch.get("id").asString() + "/results", NDJSON);
        assertThat(stream.status()).isEqualTo(200);
        assertThat(stream.header("Content-Type")).startsWith("application/x-ndjson");
        List<String> raw = stream.body().lines().toList();
        assertThat(raw).hasSize(500);
        Map<Integer, JsonNode> lines = lines(stream);
        assertThat(lines).hasSize(500);
        lines.forEach((index, line) -> assertThat(line.get("result").asLong()).isEqualTo((long) index * index));
    }

    @Test
    void aReaderThatStopsHalfwayDoesNotStallTheBatch() throws Exception {
        // ~60,000 lines: far more than the socket buffers hold, so the server blocks on the unread stream.
        JsonNode batch = submit("{\"task\":\"sha256\",\"items\":" + IntStream.range(0, 60_000)
                .mapToObj(i -> "\"item-" + i + "\"").collect(Collectors.joining(",", "[", "]")) + ",\"chunksize\":2000}");
        String id = batch.get("id").asString();
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/v1/batches/" + id + "/results")).header("Accept", "application/x-ndjson").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
            assertThat(reader.readLine()).contains("\"index\"");
            // Stop reading here; the batch must still run to the end.
            JsonNode done = Await.until("the batch finishes while its reader is stalled", Duration.ofSeconds(120),
                    () -> api.get("/v1/batches/" + id).json(), b -> b.get("ready").asBoolean());
            assertThat(done.get("counts").get("succeeded").asInt()).isEqualTo(60_000);
        }
        assertThat(results(id, 10).json().get("results")).hasSize(60_000);
    }

    @Test
    void cancelKillsTheRunningChunksAndNoFurtherItemRuns() {
        JsonNode batch = submit("{\"task\":\"sleep\",\"items\":[30,30,30,30,30,30],\"chunksize\":1}");
        String id = batch.get("id").asString();
        // A claimed chunk names its node at once and its worker's pid once the worker has taken it.
        JsonNode running = Await.until("two chunks running on workers", Duration.ofSeconds(30),
                () -> api.get("/v1/jobs?batch=" + id + "&status=RUNNING").json().get("items"),
                items -> items.size() == 2 && items.findValues("worker").stream().allMatch(w -> !w.isNull() && w.path("pid").asLong() > 0));
        List<Long> pids = running.findValues("worker").stream().map(w -> w.get("pid").asLong()).toList();
        assertThat(pids).allMatch(pid -> ProcessHandle.of(pid).isPresent());

        JsonNode cancelled = api.post("/v1/batches/" + id + "/cancel", null).json();
        assertThat(cancelled.get("cancelledAt").isNull()).isFalse();

        Await.until("the running chunks' worker processes are gone", Duration.ofSeconds(20),
                () -> pids.stream().noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)));
        JsonNode done = Await.until("the batch is final", Duration.ofSeconds(20), () -> api.get("/v1/batches/" + id).json(),
                b -> b.get("ready").asBoolean());
        assertThat(done.get("status").asString()).isEqualTo("CANCELLED");
        assertThat(done.get("counts").get("cancelled").asInt()).isEqualTo(6);
        JsonNode chunks = api.get("/v1/jobs?batch=" + id).json().get("items");
        assertThat(chunks.findValuesAsString("status")).containsOnly("CANCELLED");
        assertThat(chunks.findValues("startedAt").stream().filter(s -> !s.isNull()).count())
                .as("only the two chunks that were running ever started").isEqualTo(2);

        ApiClient.Response results = api.get("/v1/batches/" + id + "/results");
        assertThat(results.status()).isEqualTo(424);
        assertThat(results.json().get("type").asString()).isEqualTo("job-cancelled");
        assertThat(results.json().get("cancelled").asInt()).isEqualTo(6);
        assertThat(api.post("/v1/batches/" + id + "/cancel", null).status()).isEqualTo(409);
    }

    /** Concurrent cancels of one batch, as of one job: one 200, the others 409, and the batch cancelled once. */
    @Test
    void ofConcurrentCancelsOfABatchOnlyOneSucceeds() throws Exception {
        String id = submit("{\"task\":\"sleep\",\"items\":[30,30,30,30],\"chunksize\":1,\"delaySeconds\":3600}")
                .get("id").asString();
        List<java.util.concurrent.Future<ApiClient.Response>> answers = new ArrayList<>();
        try (var threads = java.util.concurrent.Executors.newFixedThreadPool(5)) {
            for (int i = 0; i < 5; i++) {
                answers.add(threads.submit(() -> api.post("/v1/batches/" + id + "/cancel", null)));
            }
        }
        List<Integer> statuses = new ArrayList<>();
        for (var answer : answers) {
            ApiClient.Response response = answer.get();
            statuses.add(response.status());
            if (response.status() == 409) {
                assertThat(response.json().get("type").asString()).isEqualTo("job-finished");
            }
        }
        assertThat(statuses).containsOnly(200, 409).containsOnlyOnce(200);
        JsonNode done = Await.until("the batch is final", Duration.ofSeconds(20), () -> api.get("/v1/batches/" + id).json(),
                b -> b.get("ready").asBoolean());
        assertThat(done.get("counts").get("cancelled").asInt()).isEqualTo(4);
    }

    /** A replica that stopped half way through a cancel leaves chunks queued; another finishes the cancel. */
    @Test
    void aCancelLeftHalfDoneIsFinishedLater() {
        String id = submit("{\"task\":\"sleep\",\"items\":[30,30,30],\"chunksize\":1,\"delaySeconds\":3600}")
                .get("id").asString();
        // The cancel recorded, the replica gone before it cancelled a chunk.
        assertThat(batchStore.requestCancel(id, java.time.Instant.now())).isTrue();
        assertThat(api.get("/v1/batches/" + id).json().get("ready").asBoolean()).isFalse();

        batchService.finishLeftCancels(java.time.Instant.now().plusSeconds(1));

        JsonNode done = api.get("/v1/batches/" + id).json();
        assertThat(done.get("status").asString()).isEqualTo("CANCELLED");
        assertThat(done.get("counts").get("cancelled").asInt()).isEqualTo(3);
    }

    @Test
    void aBatchIsForgottenOnlyOnceItFinished() {
        JsonNode batch = submit("{\"task\":\"sleep\",\"items\":[0.5],\"chunksize\":1}");
        String id = batch.get("id").asString();
        ApiClient.Response notReady = api.get("/v1/batches/" + id + "/results");
        assertThat(notReady.status()).isEqualTo(202);
        assertThat(notReady.header("Retry-After")).isEqualTo("1");
        assertThat(api.delete("/v1/batches/" + id).status()).isEqualTo(409);
        results(id, 30);
        assertThat(api.delete("/v1/batches/" + id).status()).isEqualTo(204);
        assertThat(api.get("/v1/batches/" + id).status()).isEqualTo(404);
        assertThat(api.get("/v1/batches/" + id + "/results").status()).isEqualTo(404);
        assertThat(api.post("/v1/batches/" + id + "/cancel", null).status()).isEqualTo(404);
        assertThat(api.delete("/v1/batches/" + id).status()).isEqualTo(404);
        assertThat(api.get("/v1/jobs?batch=" + id).json().get("items")).isEmpty();
    }

    @Test
    void anEmptyBatchIsDoneAtOnce() {
        JsonNode batch = submit("{\"task\":\"square\",\"items\":[]}");
        assertThat(batch.get("ready").asBoolean()).isTrue();
        assertThat(results(batch.get("id").asString(), 0).json().get("results")).isEmpty();
    }

    @Test
    void badBatchesAreRefusedWithAProblem() {
        assertThat(problem(api.raw("POST", "/v1/batches", "{\"task\":\"square\"}", json()), 400)).isEqualTo("validation");
        assertThat(problem(api.raw("POST", "/v1/batches", "{\"task\":\"square\",\"items\":5}", json()), 400)).isEqualTo("validation");
        assertThat(problem(api.raw("POST", "/v1/batches", "{\"task\":\"add\",\"starmap\":true,\"items\":[1]}", json()), 400))
                .isEqualTo("validation");
        assertThat(problem(api.raw("POST", "/v1/batches", "{\"task\":\"square\",\"items\":[1],\"chunksize\":0}", json()), 400))
                .isEqualTo("validation");
        assertThat(problem(api.raw("POST", "/v1/batches", "{\"task\":\"square\",\"items\":[1],\"maxRetries\":-1}", json()), 400))
                .isEqualTo("validation");
        // Task names are known once a worker has booted and reported its catalogue.
        api.run("{\"task\":\"echo\"}", 60);
        assertThat(problem(api.post("/v1/batches", "{\"task\":\"no-such-task\",\"items\":[1]}"), 422)).isEqualTo("unknown-task");
        String big = "\"" + "a".repeat(20_000) + "\"";
        assertThat(problem(api.post("/v1/batches", "{\"task\":\"sha256\",\"items\":[" + big + "]}"), 413))
                .isEqualTo("payload-too-large");
        assertThat(problem(api.get("/v1/batches/no-such-batch"), 404)).isEqualTo("not-found");
        assertThat(problem(api.get("/v1/batches/no-such-batch/results", NDJSON), 404)).as("a stream asked for").isEqualTo("not-found");
        JsonNode batch = submit("{\"task\":\"square\",\"items\":[1]}");
        assertThat(problem(api.raw("GET", "/v1/batches/" + batch.get("id").asString() + "/results?timeout=-1", null, Map.of()), 400))
                .isEqualTo("validation");
    }

    @Test
    void aClosedPoolRefusesBatches() {
        try {
            api.post("/v1/pool/close", null);
            assertThat(problem(api.post("/v1/batches", "{\"task\":\"square\",\"items\":[1]}"), 503)).isEqualTo("pool-closed");
        } finally {
            api.post("/v1/pool/open", null);
        }
    }

    private static Map<String, String> json() {
        return Map.of("Content-Type", "application/json");
    }

    private static String problem(ApiClient.Response response, int status) {
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        return response.json().get("type").asString();
    }

    /** A client retrying a batch request whose answer it lost gets the batch it made, not a second one. */
    @Test
    void aRepeatedBatchRequestWithItsIdempotencyKeyReturnsTheFirstBatch() {
        Map<String, String> headers = Map.of("Idempotency-Key", "map-" + System.nanoTime());
        String body = "{\"task\":\"square\",\"items\":[1,2,3,4,5],\"chunksize\":2}";
        ApiClient.Response first = api.post("/v1/batches", body, headers);
        assertThat(first.status()).as(first.body()).isEqualTo(202);
        String id = first.json().get("id").asString();

        // The same items in another layout are the same request.
        ApiClient.Response repeat = api.post("/v1/batches", "{ \"items\" : [1, 2, 3, 4, 5], \"task\":\"square\", \"chunksize\":2 }", headers);
        assertThat(repeat.status()).as(repeat.body()).isIn(200, 202);
        assertThat(repeat.json().get("id").asString()).isEqualTo(id);
        assertThat(repeat.header("Location")).isEqualTo("/v1/batches/" + id);
        assertThat(results(id, 30).json().get("results").toString()).isEqualTo("[1,4,9,16,25]");
        assertThat(api.get("/v1/jobs?batch=" + id + "&limit=100").json().get("items")).as("chunk jobs of the one batch").hasSize(3);

        // Objects among the items are compared as values: properties in another order match.
        Map<String, String> objects = Map.of("Idempotency-Key", "map-objects-" + System.nanoTime());
        String starmap = "{\"task\":\"echo\",\"starmap\":true,\"items\":[[{\"a\":1,\"b\":{\"c\":2,\"d\":3}}],[2]]}";
        String starmapId = api.post("/v1/batches", starmap, objects).json().get("id").asString();
        assertThat(api.post("/v1/batches", starmap.replace("{\"a\":1,\"b\":{\"c\":2,\"d\":3}}", "{\"b\":{\"d\":3,\"c\":2},\"a\":1}"),
                objects).json().get("id").asString()).isEqualTo(starmapId);
        assertThat(api.post("/v1/batches", starmap.replace("\"d\":3", "\"d\":4"), objects).status()).isEqualTo(422);
        results(starmapId, 30);

        // Retried after it finished: the finished batch, 200, and still no second one.
        ApiClient.Response late = api.post("/v1/batches", body, headers);
        assertThat(late.status()).isEqualTo(200);
        assertThat(late.json().get("id").asString()).isEqualTo(id);
        assertThat(late.json().get("status").asString()).isEqualTo("SUCCEEDED");

        // Another request under the key is refused; other items, or the same items with another option.
        for (String other : List.of("{\"task\":\"square\",\"items\":[1,2,3,4,6],\"chunksize\":2}",
                "{\"task\":\"square\",\"items\":[1,2,3,4,5],\"chunksize\":3}",
                "{\"task\":\"square\",\"items\":[1,2,3,4,5],\"chunksize\":2,\"priority\":1}")) {
            ApiClient.Response conflict = api.post("/v1/batches", other, headers);
            assertThat(conflict.status()).as(other).isEqualTo(422);
            assertThat(conflict.json().get("type").asString()).isEqualTo("idempotency-conflict");
            assertThat(conflict.json().get("batchId").asString()).isEqualTo(id);
        }

        // Forgotten, the key is free again.
        assertThat(api.delete("/v1/batches/" + id).status()).isEqualTo(204);
        ApiClient.Response again = api.post("/v1/batches", body, headers);
        assertThat(again.status()).isEqualTo(202);
        assertThat(again.json().get("id").asString()).isNotEqualTo(id);
        results(again.json().get("id").asString(), 30);
    }

    /** Concurrent retries of one request race to store it: one batch is stored, every answer names it. */
    @Test
    void concurrentRequestsUnderOneIdempotencyKeyMakeOneBatch() throws Exception {
        Map<String, String> headers = Map.of("Idempotency-Key", "race-" + System.nanoTime());
        String body = "{\"task\":\"square\",\"items\":" + range(50) + ",\"chunksize\":5}";
        List<java.util.concurrent.Future<ApiClient.Response>> answers = new ArrayList<>();
        try (var threads = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 8; i++) {
                answers.add(threads.submit(() -> api.post("/v1/batches", body, headers)));
            }
        }
        Set<String> ids = new HashSet<>();
        for (var answer : answers) {
            ApiClient.Response response = answer.get();
            assertThat(response.status()).as(response.body()).isIn(200, 202);
            ids.add(response.json().get("id").asString());
        }
        assertThat(ids).hasSize(1);
        String id = ids.iterator().next();
        assertThat(results(id, 30).json().get("results")).hasSize(50);
        assertThat(api.get("/v1/jobs?batch=" + id + "&limit=100").json().get("items")).hasSize(10);
    }

    private JsonNode submit(String body) {
        ApiClient.Response response = api.post("/v1/batches", body);
        assertThat(response.status()).as(response.body()).isEqualTo(202);
        return response.json();
    }

    private ApiClient.Response results(String id, int seconds) {
        ApiClient.Response response = api.get("/v1/batches/" + id + "/results?timeout=" + seconds);
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response;
    }

    static String range(int n) {
        return IntStream.range(0, n).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]"));
    }

    /** The NDJSON lines by index; fails if an index comes twice. */
    private static Map<Integer, JsonNode> lines(ApiClient.Response stream) {
        assertThat(stream.status()).isEqualTo(200);
        Map<Integer, JsonNode> byIndex = new java.util.HashMap<>();
        Set<Integer> seen = new HashSet<>();
        List<Integer> twice = new ArrayList<>();
        for (String line : stream.body().lines().toList()) {
            JsonNode node = ApiClient.JSON.readTree(line);
            int index = node.get("index").asInt();
            if (!seen.add(index)) {
                twice.add(index);
            }
            byIndex.put(index, node);
        }
        assertThat(twice).as("indices streamed twice").isEmpty();
        return byIndex;
    }
}
