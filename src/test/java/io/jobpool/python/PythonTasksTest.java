package io.jobpool.python;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Tests for Python functions as tasks: the catalogue with runtimes, arguments in and results out,
 * the job context, output captured as the log, the environment workers see, and the pools on
 * {@code GET /v1/pool}.
 */
class PythonTasksTest extends PythonServiceTest {

    @org.springframework.boot.test.web.server.LocalManagementPort
    int managementPort;

    @Test
    void tasksListsEachTaskWithItsRuntime() {
        api.run("{\"task\":\"py_square\",\"args\":[1]}", 30);
        JsonNode tasks = api.get("/v1/tasks").json().get("tasks");
        Map<String, String> runtimes = new java.util.HashMap<>();
        tasks.forEach(t -> runtimes.put(t.get("name").asString(), t.get("runtime").asString()));
        assertThat(runtimes).containsEntry("square", "java").containsEntry("py_square", "python")
                .containsEntry("py_echo", "python");
        List<String> names = new ArrayList<>();
        tasks.forEach(t -> names.add(t.get("name").asString()));
        assertThat(names).isSorted();
        assertThat(tasks.findValues("description").stream().map(JsonNode::asString)).contains("Returns x*x.");
    }

    /** CPython 3.11+ writes no int of more than 4300 digits as text unless told: the worker tells it. */
    @Test
    void anIntegerResultOfFiveThousandDigitsIsReturnedExactly() throws java.io.IOException {
        // Not through the API client: its check against openapi.yaml reads JSON numbers of up to 1,000 digits.
        String body = io.jobpool.testing.RawHttp.send(port, "POST /v1/jobs?wait=30 HTTP/1.1\r\nContent-Type: application/json",
                "{\"task\":\"py_power_of_ten\",\"args\":[4999]}".getBytes(java.nio.charset.StandardCharsets.UTF_8)).text();
        assertThat(body).contains("\"status\":\"SUCCEEDED\"").contains("\"result\":1" + "0".repeat(4999))
                .doesNotContain("\"result\":1" + "0".repeat(5000));
    }

    @Test
    void aPythonTaskGetsArgsAndKwargsAndReturnsJson() {
        assertThat(api.run("{\"task\":\"py_square\",\"args\":[7]}", 30).get("result").asInt()).isEqualTo(49);
        JsonNode echoed = api.run("{\"task\":\"py_echo\",\"args\":[1,\"two\",[3]],\"kwargs\":{\"k\":{\"v\":null}}}", 30).get("result");
        assertThat(echoed.toString()).isEqualTo("{\"args\":[1,\"two\",[3]],\"kwargs\":{\"k\":{\"v\":null}}}");
    }

    @Test
    void aBoundTaskSeesItsJobIdAttemptAndReportsProgress() {
        JsonNode job = api.run("{\"task\":\"py_progress\",\"args\":[4]}", 30);
        assertThat(job.get("result").get("jobId").asString()).isEqualTo(job.get("id").asString());
        assertThat(job.get("result").get("attempt").asInt()).isEqualTo(1);
        assertThat(job.get("progress").get("fraction").asDouble()).isEqualTo(1.0);
        assertThat(job.get("progress").get("message").asString()).isEqualTo("step 4");
    }

    @Test
    void printAndStderrBecomeTheJobsLog() {
        JsonNode job = api.run("{\"task\":\"py_print\",\"args\":[\"first\",\"second\"]}", 30);
        assertThat(job.get("result").asInt()).isEqualTo(2);
        String logs = api.get("/v1/jobs/" + job.get("id").asString() + "/logs").body();
        assertThat(logs).isEqualTo("first\nsecond\nerr:first\nerr:second\n");
    }

    /** Child processes and C code write to descriptors 1 and 2: their output went to the server log and a later job's trace. */
    @Test
    void whatChildProcessesAndDescriptorsWriteIsTheJobsLog() {
        String word = "w" + System.nanoTime();
        String logs = logsOfSuccess("py_descriptor_output", word);
        assertThat(logs).contains("child out " + word + "\n", "child err " + word + "\n", "fd1 " + word + "\n", "fd2 " + word + "\n");
        // The next job on any worker shows none of it, even when it loses its worker.
        JsonNode lost = api.run("{\"task\":\"py_os_exit\",\"args\":[3]}", 30);
        assertThat(lost.get("error").toString()).doesNotContain(word);
        awaitPythonPoolFullWithout(lost.get("worker").get("pid").asLong());
    }

    /** The worker marks a job's end in its descriptor pipe with bytes of its own: a task printing what looks like a mark prints text. */
    @Test
    void aTaskWritingAMarkOfItsOwnKeepsItInItsLog() {
        String word = "w" + System.nanoTime();
        assertThat(logsOfSuccess("py_write_mark", word)).contains("before\n", "jobpool-drained", "after " + word + "\n");
    }

    /** The log of a job of {@code task} with the one string argument, which must succeed. */
    private String logsOfSuccess(String task, String argument) {
        JsonNode job = api.run("{\"task\":\"" + task + "\",\"args\":[\"" + argument + "\"]}", 30);
        assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
        return api.get("/v1/jobs/" + job.get("id").asString() + "/logs").body();
    }

    /** colorama.init() or os.close(1) in one task took the log of every later job on its worker, or failed them with EBADF. */
    @Test
    void aTaskThatRebindsOrClosesItsStandardStreamsLeavesLaterJobsTheirLog(@TempDir Path rendezvous) {
        awaitPythonPoolFullWithout(-1);  // both workers up, or the two jobs below could share one
        // Two at once, each waiting for the other: one on each worker, so every later job runs after one of them.
        String submission = "{\"task\":\"py_break_standard_streams\",\"args\":[\"" + rendezvous.toAbsolutePath() + "\",2]}";
        String first = api.submit(submission).get("id").asString();
        String second = api.submit(submission).get("id").asString();
        Set<Long> broken = new HashSet<>();
        for (String id : List.of(first, second)) {
            JsonNode job = api.awaitReady(id, 40);
            assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
            broken.add(job.get("result").asLong());
        }
        assertThat(broken).hasSize(2);

        for (int i = 0; i < 4; i++) {
            JsonNode printed = api.run("{\"task\":\"py_print\",\"args\":[\"one\",\"two\"]}", 30);
            assertThat(printed.get("status").asString()).isEqualTo("SUCCEEDED");
            assertThat(broken).contains(printed.get("worker").get("pid").asLong());
            assertThat(api.get("/v1/jobs/" + printed.get("id").asString() + "/logs").body()).isEqualTo("one\ntwo\nerr:one\nerr:two\n");

            String word = "w" + i + "x" + System.nanoTime();
            JsonNode written = api.run("{\"task\":\"py_descriptor_output\",\"args\":[\"" + word + "\"]}", 30);
            assertThat(written.get("status").asString()).as(written.toString()).isEqualTo("SUCCEEDED");
            assertThat(broken).contains(written.get("worker").get("pid").asLong());
            assertThat(api.get("/v1/jobs/" + written.get("id").asString() + "/logs").body())
                    .contains("child out " + word + "\n", "child err " + word + "\n", "fd1 " + word + "\n", "fd2 " + word + "\n");
        }
    }

    @Test
    void aTaskPrintingAFakeFrameHeaderNeitherCorruptsTheProtocolNorLosesItsWorker() {
        JsonNode job = api.run("{\"task\":\"py_fake_frame\"}", 30);
        assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(job.get("result").asString()).isEqualTo("still intact");
        long pid = job.get("worker").get("pid").asLong();
        String logs = api.get("/v1/jobs/" + job.get("id").asString() + "/logs").body();
        assertThat(logs).contains("{\"kind\":\"succeeded\",\"jobId\":\"x\"");
        // The same worker answers the next job: the pipe still carries well-formed frames.
        List<Long> pids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            JsonNode next = api.run("{\"task\":\"py_square\",\"args\":[" + i + "]}", 30);
            assertThat(next.get("result").asInt()).isEqualTo(i * i);
            pids.add(next.get("worker").get("pid").asLong());
        }
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);
        assertThat(pythonPool().get("workers").findValues("pid").stream().map(JsonNode::asLong)).contains(pid);
    }

    @Test
    void workersSeeOnlyTheSafeEnvironment() {
        String secretLike = System.getenv().keySet().stream()
                .filter(name -> !Set.of("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER").contains(name))
                .findFirst().orElseThrow(() -> new AssertionError("the test JVM has no environment variable to scrub"));
        assertThat(api.run("{\"task\":\"py_env\",\"args\":[\"" + secretLike + "\"]}", 30).get("result").isNull()).isTrue();
        assertThat(api.run("{\"task\":\"py_env\",\"args\":[\"PATH\"]}", 30).get("result").isNull())
                .as("PATH is one of the safe variables").isFalse();
    }

    @Test
    void poolListsEachRuntimeAndResizesThePythonPool() {
        JsonNode pool = api.get("/v1/pool").json();
        assertThat(pool.get("pools").findValuesAsString("runtime")).containsExactly("java", "python");
        assertThat(pool.get("size").asInt()).isEqualTo(2);
        assertThat(pythonPool().get("size").asInt()).isEqualTo(2);
        assertThat(pythonPool().get("workers").findValuesAsString("id")).allMatch(id -> id.startsWith("py-"));

        JsonNode resized = api.put("/v1/pool", "{\"size\":3,\"runtime\":\"python\"}").json();
        assertThat(resized.get("size").asInt()).as("the Java pool keeps its size").isEqualTo(2);
        io.jobpool.testing.Await.until("three python workers", java.time.Duration.ofSeconds(20),
                () -> pythonPool().get("workers").size() == 3);
        // Without a chunksize a Python batch is cut for the Python pool's 3 workers (2 chunks each, as
        // Pool.map does), not for the Java pool's 2: ceil(120 / (4 * 3)) = 10.
        JsonNode batch = api.post("/v1/batches", "{\"task\":\"py_square\",\"items\":"
                + java.util.stream.IntStream.range(0, 120).boxed().toList() + "}").json();
        assertThat(batch.get("chunksize").asInt()).isEqualTo(10);
        assertThat(api.get("/v1/batches/" + batch.get("id").asString() + "/results?timeout=30").json().get("results")).hasSize(120);
        api.put("/v1/pool", "{\"size\":2,\"runtime\":\"python\"}");
        io.jobpool.testing.Await.until("two python workers", java.time.Duration.ofSeconds(20),
                () -> pythonPool().get("workers").size() == 2);

        var unknown = api.put("/v1/pool", "{\"size\":2,\"runtime\":\"cobol\"}");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().get("type").asString()).endsWith("validation");
    }

    @Test
    void metricsLabelEachPoolsWorkersWithItsRuntime() throws Exception {
        api.run("{\"task\":\"py_square\",\"args\":[2]}", 30);
        String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + managementPort + "/actuator/prometheus")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("jobpool_workers{runtime=\"python\",state=\"idle\"}",
                "jobpool_workers{runtime=\"java\",state=\"idle\"}",
                "jobpool_worker_startup_seconds_count{runtime=\"python\"}");
    }

    @Test
    void aTaskNoRuntimeRegistersIsRefused() {
        api.run("{\"task\":\"py_square\",\"args\":[1]}", 30);
        var refused = api.post("/v1/jobs", "{\"task\":\"nobody_has_this\"}");
        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.json().get("detail").asString()).contains("py_square", "square");
    }
}
