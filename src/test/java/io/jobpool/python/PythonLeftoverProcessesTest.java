package io.jobpool.python;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.OsProcesses;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * Tests what a Python task leaves running when its job ends. A process is killed, by the Python
 * pool's own {@code python.pool.kill-leftover-processes} (on), whatever the Java pool's setting (off
 * in this context). A thread retires its worker: what it prints, through {@code print} or
 * descriptor 1, would land in the next job's log, maybe another API key's.
 */
class PythonLeftoverProcessesTest extends PythonServiceTest {

    @Test
    void aProcessAPythonTaskLeftRunningIsKilledWhenItsJobEnds() {
        JsonNode job = api.post("/v1/jobs?wait=20", "{\"task\":\"py_leave_a_sleep\",\"args\":[60]}").json();
        long pid = awaitGone(job);
        String logs = api.get("/v1/jobs/" + job.get("id").asString() + "/logs").body();
        assertThat(logs).contains("process(es) the task left running").contains(Long.toString(pid));
    }

    @Test
    void aWorkerWhoseTaskLeftAThreadRunningIsReplacedAndNoLaterJobLogsWhatItPrints() {
        awaitGone(api.post("/v1/jobs?wait=20", "{\"task\":\"py_leave_a_printing_thread\",\"args\":[\"first-job-secret\",30]}").json());
        for (int i = 0; i < 4; i++) {
            JsonNode next = api.post("/v1/jobs?wait=20", "{\"task\":\"py_sleep\",\"args\":[0.1]}").json();
            assertThat(next.get("status").asString()).isEqualTo("SUCCEEDED");
            assertThat(api.get("/v1/jobs/" + next.get("id").asString() + "/logs").body()).doesNotContain("first-job-secret");
        }
    }

    /** Waits for the process whose pid {@code job} returned (a leftover, or the worker) to end; its pid. */
    private static long awaitGone(JsonNode job) {
        assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
        long pid = job.get("result").asLong();
        try {
            OsProcesses.awaitGone(pid, Duration.ofSeconds(20));
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        return pid;
    }
}
