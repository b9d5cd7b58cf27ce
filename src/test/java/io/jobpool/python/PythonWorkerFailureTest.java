package io.jobpool.python;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.Await;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Tests for the Python worker's failure paths with real processes: each job ends in a definite
 * state with the error a Java worker's job would get, and the Python pool is back to full size
 * with new processes.
 */
class PythonWorkerFailureTest extends PythonServiceTest {

    @Test
    void sysExitFailsTheJobWithWorkerLostErrorAndItsExitCode() {
        assertLost("{\"task\":\"py_exit\",\"args\":[3]}", "exited with code 3");
    }

    @Test
    void osExitFailsTheJobWithWorkerLostError() {
        assertLost("{\"task\":\"py_os_exit\",\"args\":[1]}", "exited with code 1");
    }

    @Test
    void memoryBombUnderTheMemoryLimitFailsTheJobWithWorkerLostErrorAndTheMemoryError() {
        JsonNode job = assertLost("{\"task\":\"py_memory_bomb\"}", "exited with code 3");
        assertThat(job.get("error").get("trace").asString()).contains("MemoryError", "py_memory_bomb");
    }

    @Test
    void anExceptionFailsTheJobWithTypeMessageAndTracebackAndTheWorkerStays() {
        JsonNode job = api.run("{\"task\":\"py_raise\",\"args\":[\"no such file\"]}", 30);
        assertThat(job.get("status").asString()).isEqualTo("FAILED");
        assertThat(job.get("error").get("type").asString()).isEqualTo("ValueError");
        assertThat(job.get("error").get("message").asString()).isEqualTo("no such file");
        assertThat(job.get("error").get("trace").asString())
                .startsWith("Traceback (most recent call last):")
                .contains("failing_and_friendly.py", "raise ValueError(message)")
                .doesNotContain("jobpool_worker.py");
        long pid = job.get("worker").get("pid").asLong();
        assertThat(ProcessHandle.of(pid)).as("an exception does not cost the worker").isPresent();
    }

    /** Formatting the message used to raise in the worker itself, which then died with the job. */
    @Test
    void anExceptionWhoseTextCannotBeHadFailsOnlyItsJob() {
        JsonNode job = api.run("{\"task\":\"py_raise_unprintable\"}", 30);
        assertThat(job.get("status").asString()).isEqualTo("FAILED");
        assertThat(job.get("error").get("type").asString()).isEqualTo("failing_and_friendly.Unprintable");
        assertThat(job.get("error").get("message").asString()).isEqualTo("<unprintable Unprintable: its __str__ raised RuntimeError>");
        assertThat(job.get("error").get("trace").asString()).contains("py_raise_unprintable");
        assertThat(ProcessHandle.of(job.get("worker").get("pid").asLong())).as("the worker stays").isPresent();
    }

    @Test
    void aResultWithALoneSurrogateIsNotSerializableAndTheWorkerStays() {
        JsonNode job = api.run("{\"task\":\"py_lone_surrogate\"}", 30);
        assertThat(job.get("status").asString()).isEqualTo("FAILED");
        assertThat(job.get("error").get("type").asString()).isEqualTo("ResultNotSerializableError");
        assertThat(job.get("error").get("message").asString()).startsWith("the task returned a value that is not JSON").contains("surrogates");
        assertThat(ProcessHandle.of(job.get("worker").get("pid").asLong())).as("the worker stays").isPresent();

        JsonNode batch = api.post("/v1/batches", "{\"task\":\"py_lone_surrogate\",\"items\":[1,2],\"chunksize\":2}").json();
        var failed = api.get("/v1/batches/" + batch.get("id").asString() + "/results?timeout=30");
        assertThat(failed.status()).as(failed.body()).isEqualTo(424);
        assertThat(failed.json().get("failures").findValuesAsString("type")).containsExactly("ResultNotSerializableError", "ResultNotSerializableError");
    }

    /** Nested deeper than the interpreter's stack: not a RecursionError of the task, which returned fine. */
    @Test
    void aResultNestedPastTheStackIsNotSerializable() {
        JsonNode job = api.run("{\"task\":\"py_nested\",\"args\":[5000]}", 30);
        assertThat(job.get("status").asString()).isEqualTo("FAILED");
        assertThat(job.get("error").get("type").asString()).isEqualTo("ResultNotSerializableError");
        assertThat(ProcessHandle.of(job.get("worker").get("pid").asLong())).as("the worker stays").isPresent();

        JsonNode batch = api.post("/v1/batches", "{\"task\":\"py_nested\",\"items\":[5000]}").json();
        var failed = api.get("/v1/batches/" + batch.get("id").asString() + "/results?timeout=30");
        assertThat(failed.status()).as(failed.body()).isEqualTo(424);
        assertThat(failed.json().get("failures").findValuesAsString("type")).containsExactly("ResultNotSerializableError");
    }

    /** Text a frame cannot carry as UTF-8 becomes U+FFFD rather than an error in the worker's own code. */
    @Test
    void aLoneSurrogatePrintedOrInAnExceptionsMessageBecomesAReplacementCharacter() {
        JsonNode job = api.run("{\"task\":\"py_print_and_raise_lone_surrogate\"}", 30);
        assertThat(job.get("status").asString()).isEqualTo("FAILED");
        assertThat(job.get("error").get("type").asString()).isEqualTo("ValueError");
        assertThat(job.get("error").get("message").asString()).isEqualTo("raised \uFFFD text");
        assertThat(api.get("/v1/jobs/" + job.get("id").asString() + "/logs").body()).isEqualTo("printed \uFFFD text\n");
        assertThat(ProcessHandle.of(job.get("worker").get("pid").asLong())).as("the worker stays").isPresent();
    }

    /** As any exception whose str() is empty (ValueError(), a Java exception without one): no message, the type says it. */
    @Test
    void aKeyboardInterruptFailsOnlyItsJobWithItsTypeAndNoMessage() {
        JsonNode job = api.run("{\"task\":\"py_keyboard_interrupt\"}", 30);
        assertThat(job.get("status").asString()).isEqualTo("FAILED");
        assertThat(job.get("error").get("type").asString()).isEqualTo("KeyboardInterrupt");
        assertThat(job.get("error").get("message").isNull()).isTrue();
        assertThat(job.get("error").get("trace").asString()).contains("KeyboardInterrupt", "py_keyboard_interrupt");
        assertThat(ProcessHandle.of(job.get("worker").get("pid").asLong())).as("the worker stays").isPresent();
    }

    /** In a batch it is its item's failure: the items before and after it in the chunk keep their results. */
    @Test
    void aBaseExceptionInABatchItemFailsOnlyThatItem() {
        JsonNode batch = api.post("/v1/batches", "{\"task\":\"py_interrupt_on\",\"items\":[1,2,3,4],\"chunksize\":4}").json();
        String id = batch.get("id").asString();
        var failed = api.get("/v1/batches/" + id + "/results?timeout=30");
        assertThat(failed.status()).as(failed.body()).isEqualTo(424);
        assertThat(failed.json().get("failures")).hasSize(1);
        assertThat(failed.json().get("failures").get(0).get("index").asInt()).isEqualTo(2);
        assertThat(failed.json().get("failures").get(0).get("error").get("type").asString()).isEqualTo("KeyboardInterrupt");
        JsonNode counts = api.get("/v1/batches/" + id).json().get("counts");
        assertThat(counts.get("succeeded").asInt()).isEqualTo(3);
        assertThat(counts.get("failed").asInt()).isEqualTo(1);
    }

    /** Its descriptors 1 and 2 cannot be restored without the pipe: the job stands, then a fresh worker replaces it. */
    @Test
    void aTaskThatClosesTheWorkersOutputPipeCostsItsWorkerAfterItsJob() {
        JsonNode job = api.run("{\"task\":\"py_close_output_pipe\"}", 30);
        assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
        long pid = job.get("result").asLong();
        awaitProcessGone(pid);
        awaitPythonPoolFullWithout(pid);
        JsonNode printed = api.run("{\"task\":\"py_print\",\"args\":[\"after\"]}", 30);
        assertThat(api.get("/v1/jobs/" + printed.get("id").asString() + "/logs").body()).isEqualTo("after\nerr:after\n");
    }

    @Test
    void endlessLoopTimesOutAndItsWorkerIsKilled() {
        JsonNode job = api.run("{\"task\":\"py_loop\",\"timeoutSeconds\":0.5}", 30);
        assertThat(job.get("status").asString()).isEqualTo("FAILED");
        assertThat(job.get("error").get("type").asString()).isEqualTo("TimeoutError");
        long pid = job.get("worker").get("pid").asLong();
        awaitProcessGone(pid);
        awaitPythonPoolFullWithout(pid);
    }

    @Test
    void killMinus9OfABusyPythonWorkerFailsItsJob() {
        String id = api.submit("{\"task\":\"py_sleep\",\"args\":[30]}").get("id").asString();
        long pid = Long.parseLong(awaitRunningOnWorker(id));
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        JsonNode job = api.awaitReady(id, 20);
        assertThat(job.get("status").asString()).isEqualTo("FAILED");
        assertThat(job.get("error").get("type").asString()).isEqualTo("WorkerLostError");
        assertThat(job.get("error").get("message").asString()).contains("SIGKILL");
        awaitPythonPoolFullWithout(pid);
    }

    @Test
    void cancelOfARunningPythonJobKillsItsWorker() {
        String id = api.submit("{\"task\":\"py_sleep\",\"args\":[30]}").get("id").asString();
        long pid = Long.parseLong(awaitRunningOnWorker(id));
        assertThat(api.post("/v1/jobs/" + id + "/cancel", null).json().get("status").asString()).isEqualTo("CANCELLED");
        awaitProcessGone(pid);
        awaitPythonPoolFullWithout(pid);
    }

    /**
     * 150 MB: past max-worker-rss (120 MB), and within the 400 MB address-space limit next to the
     * interpreter's own ~170 MB of it whatever jobs the worker ran before (200 MB failed after some).
     */
    @Test
    void aWorkerAboveMaxWorkerRssIsRecycledAfterItsJob() {
        JsonNode job = api.run("{\"task\":\"py_keep_memory\",\"args\":[150]}", 30);
        assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
        long pid = job.get("result").asLong();
        awaitProcessGone(pid);
        awaitPythonPoolFullWithout(pid);
    }

    private JsonNode assertLost(String submission, String messagePart) {
        JsonNode job = api.run(submission, 30);
        assertThat(job.get("status").asString()).isEqualTo("FAILED");
        assertThat(job.get("error").get("type").asString()).isEqualTo("WorkerLostError");
        assertThat(job.get("error").get("message").asString()).contains(messagePart);
        long pid = job.get("worker").get("pid").asLong();
        awaitProcessGone(pid);
        awaitPythonPoolFullWithout(pid);
        assertThat(api.run("{\"task\":\"py_square\",\"args\":[3]}", 20).get("result").asInt()).isEqualTo(9);
        return job;
    }

    @Test
    void theJavaPoolIsUntouchedByPythonFailures() {
        Await.until("java pool ready", Duration.ofSeconds(20), () -> api.get("/v1/pool").json().get("workers").size() == 2);
        assertThat(api.run("{\"task\":\"square\",\"args\":[6]}", 20).get("result").asInt()).isEqualTo(36);
    }
}
