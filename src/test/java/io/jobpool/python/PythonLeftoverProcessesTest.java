package io.jobpool.python;

import static org.assertj.core.api.Assertions.assertThat;

import tools.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * Tests that a process a Python task leaves running is killed when its job ends, by the Python
 * pool's own {@code python.pool.kill-leftover-processes} (on), whatever the Java pool's setting
 * (off in this context).
 */
class PythonLeftoverProcessesTest extends PythonServiceTest {

    @Test
    void aProcessAPythonTaskLeftRunningIsKilledWhenItsJobEnds() {
        JsonNode job = api.post("/v1/jobs?wait=20", "{\"task\":\"py_leave_a_sleep\",\"args\":[60]}").json();
        assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
        long pid = job.get("result").asLong();
        try {
            io.jobpool.testing.OsProcesses.awaitGone(pid, java.time.Duration.ofSeconds(10));
            String logs = api.get("/v1/jobs/" + job.get("id").asString() + "/logs").body();
            assertThat(logs).contains("process(es) the task left running").contains(Long.toString(pid));
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
