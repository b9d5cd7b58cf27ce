package io.jobpool.python;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.OsProcesses;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A Python worker whose task left a thread running runs no other job: what the thread prints,
 * through {@code print} or descriptor 1, would land in the next job's log, maybe another API
 * key's. The pool replaces the worker.
 */
class PythonLeftoverThreadsTest extends PythonServiceTest {

    @Test
    void aWorkerWhoseTaskLeftAThreadRunningIsReplacedAndNoLaterJobLogsWhatItPrints() {
        JsonNode job = api.post("/v1/jobs?wait=20", "{\"task\":\"py_leave_a_printing_thread\",\"args\":[\"first-job-secret\",30]}").json();
        assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
        long pid = job.get("result").asLong();
        try {
            OsProcesses.awaitGone(pid, Duration.ofSeconds(20));
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        for (int i = 0; i < 4; i++) {
            JsonNode next = api.post("/v1/jobs?wait=20", "{\"task\":\"py_sleep\",\"args\":[0.1]}").json();
            assertThat(next.get("status").asString()).isEqualTo("SUCCEEDED");
            assertThat(api.get("/v1/jobs/" + next.get("id").asString() + "/logs").body()).doesNotContain("first-job-secret");
        }
    }
}
