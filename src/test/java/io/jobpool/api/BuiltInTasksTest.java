package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ServiceTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Tests for the built-in tasks, each run through the HTTP API on a real worker process. */
class BuiltInTasksTest extends ServiceTest {

    @Test
    void echoReturnsItsArguments() {
        assertThat(api.run("{\"task\":\"echo\",\"args\":[1,\"two\",{\"three\":3}]}", 10).get("result").toString())
                .isEqualTo("[1,\"two\",{\"three\":3}]");
        assertThat(api.run("{\"task\":\"echo\",\"args\":[1],\"kwargs\":{\"k\":true}}", 10).get("result").toString())
                .isEqualTo("{\"args\":[1],\"kwargs\":{\"k\":true}}");
    }

    @Test
    void squareKeepsIntegersExact() {
        assertThat(api.run("{\"task\":\"square\",\"args\":[7]}", 10).get("result").asLong()).isEqualTo(49);
        assertThat(api.run("{\"task\":\"square\",\"kwargs\":{\"x\":3000000000}}", 10).get("result").toString())
                .isEqualTo("9000000000000000000");
        // Around the largest square a long holds, and beyond: exact either side.
        for (String x : new String[] {"3037000499", "-3037000500", "3037000500", "12345678901234567890"}) {
            assertThat(api.run("{\"task\":\"square\",\"args\":[" + x + "]}", 10).get("result").toString())
                    .as(x).isEqualTo(new java.math.BigInteger(x).pow(2).toString());
        }
        assertThat(api.run("{\"task\":\"square\",\"args\":[1.5]}", 10).get("result").asDouble()).isEqualTo(2.25);
    }

    @Test
    void addSumsArgumentsOrOneArray() {
        assertThat(api.run("{\"task\":\"add\",\"args\":[1,2,3]}", 10).get("result").asLong()).isEqualTo(6);
        assertThat(api.run("{\"task\":\"add\",\"args\":[[10,20],0.5]}", 10).get("result").asDouble()).isEqualTo(30.5);
    }

    @Test
    void sha256ReturnsTheHexDigest() {
        assertThat(api.run("{\"task\":\"sha256\",\"args\":[\"abc\"]}", 10).get("result").asString())
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void primesCountsPrimesBelowN() {
        assertThat(api.run("{\"task\":\"primes\",\"args\":[100]}", 10).get("result").asLong()).isEqualTo(25);
        JsonNode job = api.run("{\"task\":\"primes\",\"kwargs\":{\"n\":100000}}", 30);
        assertThat(job.get("result").asLong()).isEqualTo(9592);
        assertThat(job.get("progress").get("fraction").asDouble()).isEqualTo(1.0);
        assertThat(job.get("progress").get("message").asString()).isEqualTo("9592 primes below 100000");
    }

    @Test
    void primesOutOfRangeFailsWithAPlainArgumentError() {
        for (String n : java.util.List.of("1e300", "-1", "100000001")) {
            JsonNode job = api.run("{\"task\":\"primes\",\"args\":[" + n + "]}", 10);
            assertThat(job.get("status").asString()).isEqualTo("FAILED");
            assertThat(job.get("error").get("type").asString()).as(n).isEqualTo("java.lang.IllegalArgumentException");
            assertThat(job.get("error").get("message").asString()).startsWith("n must be between 0 and 100000000, got ");
        }
    }

    @Test
    void progressOfARunningTaskIsVisibleWhileItRuns() {
        String id = api.submit("{\"task\":\"primes\",\"args\":[60000000]}").get("id").asString();
        try {
            JsonNode running = io.jobpool.testing.Await.until("progress reported while running", java.time.Duration.ofSeconds(30),
                    () -> api.get("/v1/jobs/" + id).json(), job -> !job.get("progress").isNull());
            assertThat(running.get("status").asString()).isEqualTo("RUNNING");
            assertThat(running.get("progress").get("fraction").asDouble()).isBetween(0.0, 1.0);
            assertThat(running.get("progress").get("message").asString()).endsWith("primes so far");
        } finally {
            api.post("/v1/jobs/" + id + "/cancel", null);
        }
    }

    @Test
    void theLogOfARunningJobShowsWhatItPrintedSoFar() {
        String id = api.submit("{\"task\":\"sleep\",\"args\":[30]}").get("id").asString();
        try {
            io.jobpool.testing.Await.until("the running job's log", java.time.Duration.ofSeconds(15),
                    () -> api.get("/v1/jobs/" + id + "/logs").body().contains("sleeping for 30.0 s"));
            assertThat(api.get("/v1/jobs/" + id).json().get("status").asString()).isEqualTo("RUNNING");
        } finally {
            api.post("/v1/jobs/" + id + "/cancel", null);
        }
        // Read at once: the worker is still being killed, and the read waits for the log it leaves.
        assertThat(api.get("/v1/jobs/" + id + "/logs").body()).as("the log of the cancelled job").contains("sleeping for 30.0 s");
    }

    @Test
    void sleepSleepsAtLeastTheGivenSeconds() {
        JsonNode job = api.run("{\"task\":\"sleep\",\"args\":[0.2]}", 10);
        assertThat(job.get("result").asDouble()).isEqualTo(0.2);
        long ranMillis = java.time.Duration.between(java.time.Instant.parse(job.get("startedAt").asString()),
                java.time.Instant.parse(job.get("finishedAt").asString())).toMillis();
        assertThat(ranMillis).isGreaterThanOrEqualTo(200);
    }

    @Test
    void printedLinesBecomeTheJobLogAndNeverTheProtocol() {
        JsonNode job = api.run("{\"task\":\"print\",\"args\":[\"hello\",\"\\u0000\\u0000\\u0000\\u0010 not a frame\"]}", 10);
        assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(job.get("result").asInt()).isEqualTo(2);
        ApiClientLogs logs = new ApiClientLogs(api.get("/v1/jobs/" + job.get("id").asString() + "/logs"));
        assertThat(logs.status()).isEqualTo(200);
        assertThat(logs.text()).contains("hello\n", "stderr: hello\n", "not a frame");
        assertThat(logs.contentType()).startsWith("text/plain");
    }

    /** A client's text in a log line cannot start a line of its own (a forged entry) nor carry terminal escapes. */
    @Test
    @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
    void aFailureMessageIsLoggedOnOneLineWhileTheJobKeepsItAsSent(org.springframework.boot.test.system.CapturedOutput output) {
        String forged = "2026-12-03T19:00:00.000Z ERROR 1 --- [jobpool] [main] io.jobpool.Forged : injected";
        JsonNode job = api.run("{\"task\":\"fail\",\"args\":[\"x\\n" + forged + "\\u001b[31m\\u0007\"]}", 10);
        assertThat(job.get("error").get("message").asString()).isEqualTo("x\n" + forged + "\u001b[31m\u0007");
        String id = job.get("id").asString();
        io.jobpool.testing.Await.until("the failure logged", java.time.Duration.ofSeconds(10),
                () -> output.getAll().contains("Job " + id + " FAILED"));
        assertThat(output.getAll().lines().filter(line -> line.contains(id)))
                .anySatisfy(line -> assertThat(line).endsWith("Fail$TaskFailedException: x\\n" + forged + "\\u001b[31m\\u0007"));
        assertThat(output.getAll().lines()).noneMatch(line -> line.startsWith(forged)).noneMatch(line -> line.contains("\u001b"));
    }

    @Test
    void failCarriesTypeMessageAndTrace() {
        JsonNode job = api.run("{\"task\":\"fail\",\"args\":[\"boom\"]}", 10);
        assertThat(job.get("status").asString()).isEqualTo("FAILED");
        assertThat(job.get("successful").asBoolean()).isFalse();
        assertThat(job.get("error").get("type").asString()).isEqualTo("io.jobpool.tasks.Fail$TaskFailedException");
        assertThat(job.get("error").get("message").asString()).isEqualTo("boom");
        assertThat(job.get("error").get("trace").asString()).contains("at io.jobpool.tasks.Fail.run");
    }

    @Test
    void aResultJsonCannotHoldFailsWithResultNotSerializableError() {
        for (String job : List.of("{\"task\":\"square\",\"args\":[1e200]}", "{\"task\":\"add\",\"args\":[1e308,1e308]}")) {
            JsonNode done = api.run(job, 10);
            assertThat(done.get("status").asString()).as(job).isEqualTo("FAILED");
            assertThat(done.get("error").get("type").asString()).isEqualTo("ResultNotSerializableError");
            assertThat(done.get("error").get("message").asString()).contains("Infinity");
        }
    }

    @Test
    void anArgumentGivenByPositionAndByKeywordIsRefused() {
        JsonNode done = api.run("{\"task\":\"square\",\"args\":[2],\"kwargs\":{\"x\":3}}", 10);
        assertThat(done.get("status").asString()).isEqualTo("FAILED");
        assertThat(done.get("error").get("message").asString()).isEqualTo("got multiple values for argument 'x' (position 0 and keyword)");
        assertThat(api.run("{\"task\":\"square\",\"kwargs\":{\"x\":3}}", 10).get("result").asInt()).isEqualTo(9);
    }

    /** As Python's TypeError: an argument no parameter takes fails the job instead of being dropped. */
    @Test
    void argumentsNoParameterTakesAreRefused() {
        Map<String, String> refused = Map.of(
                "{\"task\":\"square\",\"args\":[2,5]}", "square() takes 1 positional argument but 2 were given",
                "{\"task\":\"sha256\",\"args\":[\"a\",\"b\"]}", "sha256() takes 1 positional argument but 2 were given",
                "{\"task\":\"square\",\"kwargs\":{\"x\":2,\"y\":1}}", "square() got an unexpected keyword argument 'y'",
                "{\"task\":\"add\",\"args\":[1],\"kwargs\":{\"values\":[2]}}", "add() got an unexpected keyword argument 'values'",
                "{\"task\":\"print\",\"kwargs\":{\"line\":\"x\"}}", "print() got an unexpected keyword argument 'line'",
                "{\"task\":\"exit\",\"args\":[1.7]}", "argument 'code' must be an integer, got 1.7",
                "{\"task\":\"hang\",\"args\":[1]}", "hang() takes 0 positional arguments but 1 was given");
        refused.forEach((job, message) -> {
            JsonNode done = api.run(job, 10);
            assertThat(done.get("status").asString()).as(job).isEqualTo("FAILED");
            assertThat(done.get("error").get("type").asString()).as(job).isEqualTo("java.lang.IllegalArgumentException");
            assertThat(done.get("error").get("message").asString()).as(job).isEqualTo(message);
        });
        assertThat(api.run("{\"task\":\"add\",\"args\":[1,2],\"kwargs\":{\"numbers\":[3]}}", 10).get("result").asInt()).isEqualTo(6);
    }

    @Test
    void aResultAboveMaxResultBytesFailsWithResultTooLargeError() {
        String big = "y".repeat(10_000);
        JsonNode job = api.run("{\"task\":\"echo\",\"args\":[\"" + big + "\"]}", 10);
        assertThat(job.get("status").asString()).isEqualTo("FAILED");
        assertThat(job.get("error").get("type").asString()).isEqualTo("ResultTooLargeError");
        assertThat(job.get("error").get("message").asString()).contains("jobpool.jobs.max-result-bytes");
        assertThat(job.get("result").isNull()).isTrue();
    }

    @Test
    void taskCatalogueListsBuiltInsAndDiagnostics() {
        JsonNode tasks = api.get("/v1/tasks").json().get("tasks");
        assertThat(tasks.findValuesAsString("name"))
                .contains("echo", "sleep", "square", "add", "sha256", "primes", "print", "fail", "exit", "halt", "oom", "hang", "spawn", "orphan");
    }

    /** The log endpoint's answer. */
    private record ApiClientLogs(int status, String text, String contentType) {
        ApiClientLogs(io.jobpool.testing.ApiClient.Response response) {
            this(response.status(), response.body(), response.header("content-type"));
        }
    }
}
