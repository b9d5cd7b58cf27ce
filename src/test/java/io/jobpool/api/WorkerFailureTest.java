package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.Await;
import io.jobpool.testing.ServiceTest;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Tests for the worker failure paths with real child processes: each job ends in a definite state
 * with the right error, the service keeps answering, and the pool is back to full size with new
 * processes.
 */
class WorkerFailureTest extends ServiceTest {

    @Test
    void systemExitFailsTheJobWithWorkerLostErrorAndItsExitCode() {
        assertLost("{\"task\":\"exit\",\"args\":[7]}", "exited with code 7");
    }

    @Test
    void haltFailsTheJobWithWorkerLostError() {
        assertLost("{\"task\":\"halt\",\"args\":[9]}", "exited with code 9");
    }

    @Test
    void outOfMemoryFailsTheJobWithWorkerLostError() {
        assertLost("{\"task\":\"oom\"}", "OutOfMemoryError");
    }

    @Test
    void hangingJobTimesOutAndItsWorkerIsKilled() {
        Set<Long> before = workerPids();
        JsonNode job = api.run("{\"task\":\"hang\",\"timeoutSeconds\":0.5}", 30);
        assertThat(job.get("status").asString()).isEqualTo("FAILED");
        assertThat(job.get("error").get("type").asString()).isEqualTo("TimeoutError");
        long pid = job.get("worker").get("pid").asLong();
        assertThat(before).contains(pid);
        assertProcessGone(pid);
        assertPoolBackToFullSizeWithout(pid);
    }

    @Test
    void killMinus9OfABusyWorkerFailsItsJob() {
        String id = api.submit("{\"task\":\"sleep\",\"args\":[30]}").get("id").asString();
        long pid = Await.until("job running on a worker", Duration.ofSeconds(10), () -> api.get("/v1/jobs/" + id).json(),
                job -> job.get("status").asString().equals("RUNNING") && !job.get("worker").isNull())
                .get("worker").get("pid").asLong();
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        JsonNode job = api.awaitReady(id, 10);
        assertThat(job.get("status").asString()).isEqualTo("FAILED");
        assertThat(job.get("error").get("type").asString()).isEqualTo("WorkerLostError");
        assertThat(job.get("error").get("message").asString()).contains("SIGKILL");
        assertPoolBackToFullSizeWithout(pid);
    }

    @Test
    void cancelOfARunningJobKillsItsWorker() {
        String id = api.submit("{\"task\":\"sleep\",\"args\":[30]}").get("id").asString();
        long pid = Await.until("job running on a worker", Duration.ofSeconds(10), () -> api.get("/v1/jobs/" + id).json(),
                job -> job.get("status").asString().equals("RUNNING") && !job.get("worker").isNull())
                .get("worker").get("pid").asLong();
        JsonNode cancelled = api.post("/v1/jobs/" + id + "/cancel", null).json();
        assertThat(cancelled.get("status").asString()).isEqualTo("CANCELLED");
        assertProcessGone(pid);
        assertPoolBackToFullSizeWithout(pid);
        assertThat(api.get("/v1/jobs/" + id).json().get("status").asString()).isEqualTo("CANCELLED");
    }

    private void assertLost(String submission, String messagePart) {
        JsonNode job = api.run(submission, 30);
        assertThat(job.get("status").asString()).isEqualTo("FAILED");
        assertThat(job.get("error").get("type").asString()).isEqualTo("WorkerLostError");
        assertThat(job.get("error").get("message").asString()).contains(messagePart);
        long pid = job.get("worker").get("pid").asLong();
        assertProcessGone(pid);
        assertPoolBackToFullSizeWithout(pid);
        assertThat(api.run("{\"task\":\"square\",\"args\":[2]}", 10).get("result").asInt()).isEqualTo(4);
    }

    private static void assertProcessGone(long pid) {
        Await.until("process " + pid + " gone", Duration.ofSeconds(10), () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    private void assertPoolBackToFullSizeWithout(long deadPid) {
        JsonNode pool = Await.until("pool back to 2 ready workers", Duration.ofSeconds(10), () -> api.get("/v1/pool").json(),
                p -> p.get("workers").size() == 2 && p.get("workers").findValuesAsString("state").stream()
                        .allMatch(s -> s.equals("IDLE") || s.equals("BUSY")));
        assertThat(pool.get("workers").findValues("pid").stream().map(JsonNode::asLong)).doesNotContain(deadPid);
    }

    private Set<Long> workerPids() {
        Set<Long> pids = new HashSet<>();
        api.get("/v1/pool").json().get("workers").forEach(w -> pids.add(w.get("pid").asLong()));
        return pids;
    }
}
