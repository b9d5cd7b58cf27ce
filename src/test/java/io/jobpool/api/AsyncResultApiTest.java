package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.ServiceTest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Tests for the {@code AsyncResult} analogues: ready, successful, get with timeout, wait, cancel, forget. */
class AsyncResultApiTest extends ServiceTest {

    /**
     * A body the endpoint does not read (some clients send {@code {}} with every request) is part of
     * the request: each long-poll still waits for what it waits for. It was taken for bytes sent
     * after the request, and every such wait ended after its first second.
     */
    /**
     * A body still on its way does not hold the answer back: each check of the connection drops
     * what has arrived and never waits for the rest (it read the body to its end, and the job
     * finished at 3 s was answered when the connection timed out, with a 408).
     */
    @Test
    void aLongPollWhoseUnreadBodyIsSlowToComeIsAnsweredWhenTheJobIsReady() throws Exception {
        // Ten bytes declared, two sent; a chunk's size line without its data: the rest never comes.
        for (String partial : new String[] {"Content-Length: 10\r\n\r\n{}", "Transfer-Encoding: chunked\r\n\r\n2\r\n"}) {
            answeredWhenReadyDespite(partial);
        }
    }

    private void answeredWhenReadyDespite(String partialBody) throws Exception {
        String id = api.submit("{\"task\":\"sleep\",\"args\":[3]}").get("id").asString();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write(("GET /v1/jobs/" + id + "?wait=30 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\n" + partialBody).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            java.io.BufferedReader in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(socket.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
            assertThat(in.readLine()).startsWith("HTTP/1.1 200");
            int length = 0;
            for (String header; !(header = in.readLine()).isEmpty(); ) {
                if (header.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(header.substring(15).strip());
                }
            }
            char[] body = new char[length];
            assertThat(in.read(body)).isPositive();
            assertThat(new String(body)).as(partialBody).contains("\"ready\":true");
        }
    }

    @Test
    void longPollsWithABodyTheyDoNotReadStillWait() {
        String id = api.submit("{\"task\":\"sleep\",\"args\":[2]}").get("id").asString();
        JsonNode waited = api.raw("GET", "/v1/jobs/" + id + "?wait=30", "{}", Map.of()).json();
        assertThat(waited.get("ready").asBoolean()).as("GET ?wait with a body: %s", waited).isTrue();

        String second = api.submit("{\"task\":\"sleep\",\"args\":[2]}").get("id").asString();
        ApiClient.Response result = api.raw("GET", "/v1/jobs/" + second + "/result?timeout=30", "{}", Map.of());
        assertThat(result.status()).as(result.body()).isEqualTo(200);

        api.submit("{\"task\":\"sleep\",\"args\":[2]}");
        ApiClient.Response joined = api.raw("POST", "/v1/pool/join?timeout=30", "{}", Map.of());
        assertThat(joined.status()).as("join with a body: %s", joined.body()).isEqualTo(200);
    }

    @Test
    void submitAnswers202WithLocationThenTheJobReadsBack() {
        ApiClient.Response response = api.post("/v1/jobs", "{\"task\":\"square\",\"args\":[4],\"priority\":5}");
        assertThat(response.status()).isEqualTo(202);
        String id = response.json().get("id").asString();
        assertThat(response.header("Location")).isEqualTo("/v1/jobs/" + id);
        JsonNode job = api.awaitReady(id, 10);
        assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(job.get("result").asInt()).isEqualTo(16);
        assertThat(job.get("priority").asInt()).isEqualTo(5);
        assertThat(job.get("attempts").asInt()).isEqualTo(1);
        assertThat(job.get("worker").get("pid").asLong()).isPositive();
        assertThat(api.get("/v1/jobs/" + id + "/ready").json().get("ready").asBoolean()).isTrue();
        assertThat(api.get("/v1/jobs/" + id + "/successful").json().get("successful").asBoolean()).isTrue();
        assertThat(api.get("/v1/jobs/" + id + "/result").json().get("result").asInt()).isEqualTo(16);
    }

    @Test
    void getWithATimeoutThatExpiresAnswers202WithRetryAfter() {
        String id = api.submit("{\"task\":\"sleep\",\"args\":[3]}").get("id").asString();
        ApiClient.Response response = api.get("/v1/jobs/" + id + "/result?timeout=0.3");
        assertThat(response.status()).isEqualTo(202);
        assertThat(response.header("Retry-After")).isEqualTo("1");
        assertThat(response.json().get("ready").asBoolean()).isFalse();
        assertThat(api.get("/v1/jobs/" + id + "/ready").json().get("ready").asBoolean()).isFalse();
        api.post("/v1/jobs/" + id + "/cancel", null);
    }

    @Test
    void successfulBeforeReadyIs409JobNotReady() {
        String id = api.submit("{\"task\":\"sleep\",\"args\":[3]}").get("id").asString();
        ApiClient.Response response = api.get("/v1/jobs/" + id + "/successful");
        assertThat(response.status()).isEqualTo(409);
        assertThat(response.json().get("type").asString()).isEqualTo("job-not-ready");
        assertThat(api.delete("/v1/jobs/" + id).status()).isEqualTo(409);
        api.post("/v1/jobs/" + id + "/cancel", null);
    }

    @Test
    void getOfAFailedJobIs424WithTheErrorTypeMessageAndTrace() {
        String id = api.submit("{\"task\":\"fail\",\"args\":[\"kaput\"]}").get("id").asString();
        ApiClient.Response response = api.get("/v1/jobs/" + id + "/result?timeout=10");
        assertThat(response.status()).isEqualTo(424);
        assertThat(response.header("content-type")).startsWith("application/problem+json");
        JsonNode problem = response.json();
        assertThat(problem.get("type").asString()).isEqualTo("job-failed");
        assertThat(problem.get("jobId").asString()).isEqualTo(id);
        assertThat(problem.get("error").get("type").asString()).endsWith("TaskFailedException");
        assertThat(problem.get("error").get("message").asString()).isEqualTo("kaput");
        assertThat(problem.get("error").get("trace").asString()).contains("Fail.run");
        assertThat(api.get("/v1/jobs/" + id + "/successful").json().get("successful").asBoolean()).isFalse();
    }

    @Test
    void waitLongPollsUntilTheJobIsReady() {
        String id = api.submit("{\"task\":\"sleep\",\"args\":[0.3]}").get("id").asString();
        JsonNode job = api.get("/v1/jobs/" + id + "?wait=10").json();
        assertThat(job.get("ready").asBoolean()).isTrue();
        assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
    }

    /**
     * A job finished on this node is handed to its waiters as its commit left it, not read back:
     * what {@code ?wait} answers must be exactly what the store then holds, for every way a job
     * ends and every field the job view has.
     */
    @Test
    void whatAWaitAnswersIsWhatTheStoreHolds() {
        List<String> bodies = List.of(
                "{\"task\":\"square\",\"args\":[12],\"priority\":3,\"maxRetries\":2,\"timeoutSeconds\":30}",
                "{\"task\":\"echo\",\"args\":[\"\u00e9\\u0000\ud83d\ude00\",{\"a\":[1,2.5,null]}],\"kwargs\":{\"k\":\"v\"}}",
                "{\"task\":\"print\",\"args\":[\"a line for the log\"]}",
                "{\"task\":\"primes\",\"args\":[20000]}",
                "{\"task\":\"fail\",\"args\":[\"kaput\"]}",
                "{\"task\":\"exit\",\"args\":[3]}");
        for (String body : bodies) {
            ApiClient.Response applied = api.post("/v1/jobs?wait=30", body);
            JsonNode waited = applied.json();
            assertThat(waited.get("ready").asBoolean()).as(body).isTrue();
            assertThat(waited).as(body).isEqualTo(stored(waited.get("id").asString()));
        }
        // A GET that waits (AsyncResult.wait) on a job submitted without waiting.
        String id = api.submit("{\"task\":\"sleep\",\"args\":[0.3],\"kwargs\":{}}").get("id").asString();
        JsonNode waited = api.get("/v1/jobs/" + id + "?wait=10").json();
        assertThat(waited.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(waited).isEqualTo(api.get("/v1/jobs/" + id).json());
    }

    /** The job as {@code GET /v1/jobs/{id}} reads it, without the attempts' errors, which only that view has. */
    private JsonNode stored(String id) {
        tools.jackson.databind.node.ObjectNode job = (tools.jackson.databind.node.ObjectNode) api.get("/v1/jobs/" + id).json();
        job.remove("errors");
        return job;
    }

    @Test
    void cancelOfAQueuedJobNeverRunsIt() {
        String id = api.submit("{\"task\":\"echo\",\"args\":[1],\"delaySeconds\":30}").get("id").asString();
        ApiClient.Response cancelled = api.post("/v1/jobs/" + id + "/cancel", null);
        assertThat(cancelled.status()).isEqualTo(200);
        assertThat(cancelled.json().get("status").asString()).isEqualTo("CANCELLED");
        assertThat(cancelled.json().get("attempts").asInt()).isZero();
        ApiClient.Response result = api.get("/v1/jobs/" + id + "/result");
        assertThat(result.status()).isEqualTo(424);
        assertThat(result.json().get("type").asString()).isEqualTo("job-cancelled");
        ApiClient.Response again = api.post("/v1/jobs/" + id + "/cancel", null);
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.json().get("type").asString()).isEqualTo("job-finished");
    }

    @Test
    void forgetDeletesAFinishedJob() {
        String id = api.run("{\"task\":\"echo\"}", 10).get("id").asString();
        assertThat(api.delete("/v1/jobs/" + id).status()).isEqualTo(204);
        ApiClient.Response gone = api.get("/v1/jobs/" + id);
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.json().get("type").asString()).isEqualTo("not-found");
    }

    @Test
    void delayedJobWaitsForItsTime() {
        JsonNode job = api.submit("{\"task\":\"echo\",\"args\":[\"later\"],\"delaySeconds\":0.5}");
        assertThat(job.get("status").asString()).isEqualTo("QUEUED");
        JsonNode done = api.awaitReady(job.get("id").asString(), 10);
        assertThat(java.time.Instant.parse(done.get("startedAt").asString()))
                .isAfterOrEqualTo(java.time.Instant.parse(job.get("scheduledAt").asString()));
    }

    /** The 202 answer is the job as stored: a delay with a fraction of a millisecond does not show microseconds only there. */
    @Test
    void aDelayedJobsScheduledTimeReadsTheSameInTheAnswerAndLater() {
        JsonNode job = api.submit("{\"task\":\"echo\",\"args\":[1],\"delaySeconds\":30.0004}");
        String id = job.get("id").asString();
        try {
            assertThat(job.get("scheduledAt").asString()).isEqualTo(api.get("/v1/jobs/" + id).json().get("scheduledAt").asString())
                    .matches(".*T\\d\\d:\\d\\d:\\d\\d(\\.\\d{3})?Z");
        } finally {
            api.post("/v1/jobs/" + id + "/cancel", null);
        }
    }

    @Test
    void delayedJobsStartWhenDueNotAtTheNextFallbackPoll() {
        // The dispatcher's fallback poll is 5 s here: a delayed job must wake it when it is due.
        for (int i = 0; i < 4; i++) {
            JsonNode job = api.submit("{\"task\":\"echo\",\"args\":[" + i + "],\"delaySeconds\":0.3}");
            JsonNode done = api.awaitReady(job.get("id").asString(), 15);
            java.time.Duration late = java.time.Duration.between(java.time.Instant.parse(done.get("scheduledAt").asString()),
                    java.time.Instant.parse(done.get("startedAt").asString()));
            assertThat(late).as("job %d started %s after it was due", i, late).isLessThan(java.time.Duration.ofSeconds(2));
        }
    }

    @Test
    void retriesAFailingJobUpToMaxRetries() {
        JsonNode job = api.submit("{\"task\":\"fail\",\"args\":[\"again\"],\"maxRetries\":2}");
        JsonNode done = api.awaitReady(job.get("id").asString(), 30);
        assertThat(done.get("status").asString()).isEqualTo("FAILED");
        assertThat(done.get("attempts").asInt()).isEqualTo(3);
    }

    @Test
    void sameIdempotencyKeyAndBodyReturnsTheFirstJobAndAnotherBodyConflicts() {
        String key = "key-" + System.nanoTime();
        Map<String, String> headers = Map.of("Idempotency-Key", key);
        String first = api.post("/v1/jobs", "{\"task\":\"square\",\"args\":[5]}", headers).json().get("id").asString();
        String second = api.post("/v1/jobs", "{\"task\":\"square\",\"args\":[5]}", headers).json().get("id").asString();
        assertThat(second).isEqualTo(first);
        ApiClient.Response conflict = api.post("/v1/jobs", "{\"task\":\"square\",\"args\":[6]}", headers);
        assertThat(conflict.status()).isEqualTo(422);

        // Objects are compared as values: their properties in another order are the same request.
        Map<String, String> other = Map.of("Idempotency-Key", key + "-kwargs");
        String kwargs = api.post("/v1/jobs", "{\"task\":\"echo\",\"args\":[{\"x\":1,\"y\":[2]}],\"kwargs\":{\"a\":1,\"b\":2}}", other)
                .json().get("id").asString();
        assertThat(api.post("/v1/jobs", "{\"task\":\"echo\",\"args\":[{\"y\":[2],\"x\":1}],\"kwargs\":{\"b\":2,\"a\":1}}", other)
                .json().get("id").asString()).isEqualTo(kwargs);
        conflict = api.post("/v1/jobs", "{\"task\":\"echo\",\"args\":[{\"x\":1,\"y\":[2]}],\"kwargs\":{\"a\":1.0,\"b\":2}}", other);
        assertThat(conflict.status()).isEqualTo(422);
        assertThat(conflict.json().get("type").asString()).isEqualTo("idempotency-conflict");
    }

    /** A client retrying a request the service already took gets its job, even once new work is refused. */
    @Test
    void aRepeatOfAnAcceptedRequestGetsItsJobWhileThePoolIsClosed() {
        Map<String, String> headers = Map.of("Idempotency-Key", "closed-" + System.nanoTime());
        String body = "{\"task\":\"square\",\"args\":[9]}";
        String first = api.post("/v1/jobs", body, headers).json().get("id").asString();
        api.post("/v1/pool/close", null);
        try {
            ApiClient.Response repeat = api.post("/v1/jobs", body, headers);
            assertThat(repeat.status()).isIn(200, 202);
            assertThat(repeat.json().get("id").asString()).isEqualTo(first);
            ApiClient.Response conflict = api.post("/v1/jobs", "{\"task\":\"square\",\"args\":[10]}", headers);
            assertThat(conflict.status()).isEqualTo(422);
            assertThat(conflict.json().get("type").asString()).isEqualTo("idempotency-conflict");
            ApiClient.Response fresh = api.post("/v1/jobs", body, Map.of("Idempotency-Key", "closed-new-" + System.nanoTime()));
            assertThat(fresh.status()).isEqualTo(503);
            assertThat(fresh.json().get("type").asString()).isEqualTo("pool-closed");
            assertThat(fresh.header("Retry-After")).as("an operator reopens the pool; no time can be told").isNull();
        } finally {
            api.post("/v1/pool/open", null);
        }
    }

    @Test
    void applyWithAnIdempotencyKeyWaitsForTheFirstJobWhereverItIs() {
        Map<String, String> headers = Map.of("Idempotency-Key", "apply-" + System.nanoTime());
        String body = "{\"task\":\"sleep\",\"args\":[0.5]}";
        ApiClient.Response queued = api.post("/v1/jobs", body, headers);
        assertThat(queued.status()).isEqualTo(202);
        String first = queued.json().get("id").asString();
        // The retry blocks on the first job, not on a job of its own, and answers it finished.
        ApiClient.Response applied = api.post("/v1/jobs?wait=30", body, headers);
        assertThat(applied.status()).isEqualTo(200);
        assertThat(applied.json().get("id").asString()).isEqualTo(first);
        assertThat(applied.json().get("status").asString()).isEqualTo("SUCCEEDED");
        // Retried once more after it finished: the same finished job at once.
        ApiClient.Response again = api.post("/v1/jobs?wait=30", body, headers);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().get("id").asString()).isEqualTo(first);
    }

    @Test
    void applyThatTimesOutAnswers202WithTheRunningJob() {
        ApiClient.Response response = api.post("/v1/jobs?wait=0.3", "{\"task\":\"sleep\",\"args\":[3]}");
        assertThat(response.status()).isEqualTo(202);
        assertThat(response.json().get("ready").asBoolean()).isFalse();
        String id = response.json().get("id").asString();
        assertThat(response.header("Location")).isEqualTo("/v1/jobs/" + id);
        api.post("/v1/jobs/" + id + "/cancel", null);
    }

    @Test
    void listPagesNewestFirstWithACursorAndFilters() {
        String task = "sha256";
        List<String> submitted = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            submitted.add(api.submit("{\"task\":\"" + task + "\",\"args\":[\"page-" + i + "\"]}").get("id").asString());
        }
        submitted.forEach(id -> api.awaitReady(id, 10));
        Set<String> seen = new HashSet<>();
        List<String> order = new ArrayList<>();
        String cursor = null;
        do {
            ApiClient.Response page = api.get("/v1/jobs?task=" + task + "&status=SUCCEEDED&limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.status()).isEqualTo(200);
            for (JsonNode item : page.json().get("items")) {
                assertThat(item.get("task").asString()).isEqualTo(task);
                assertThat(seen.add(item.get("id").asString())).as("no job twice across pages").isTrue();
                order.add(item.get("id").asString());
            }
            JsonNode next = page.json().get("next");
            cursor = next.isNull() ? null : next.asString();
        } while (cursor != null);
        assertThat(seen).containsAll(submitted);
        assertThat(order).isSortedAccordingTo(java.util.Comparator.reverseOrder());
        assertThat(api.raw("GET", "/v1/jobs?status=bogus", null, Map.of()).status()).isEqualTo(400);
        assertThat(api.get("/v1/jobs?cursor=not-a-cursor").status()).isEqualTo(400);
    }
}
