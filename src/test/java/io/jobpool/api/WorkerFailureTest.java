package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.Await;
import io.jobpool.testing.ServiceTest;
import java.time.Duration;
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

    /**
     * A task's own exit code is no signal and no boot failure: Java reports exit(137) as it reports a
     * SIGKILL, so the pool must not claim one (nor guess at memory), and 78 after a boot is just 78.
     */
    @Test
    void aTasksOwnExitCodeIsReportedAsACodeWithoutAnInventedCause() {
        String killedLike = assertLost("{\"task\":\"exit\",\"args\":[137]}", "exited with code 137");
        assertThat(killedLike).doesNotContain("was killed").doesNotContain("out of memory");
        String bootCode = assertLost("{\"task\":\"exit\",\"args\":[78]}", "exited with code 78");
        assertThat(bootCode).doesNotContain("boot");
        // 3 is what the JVM exits with on OutOfMemoryError too; only its message says so.
        assertThat(assertLost("{\"task\":\"exit\",\"args\":[3]}", "exited with code 3")).doesNotContain("OutOfMemory");
    }

    @Test
    void haltFailsTheJobWithWorkerLostError() {
        assertLost("{\"task\":\"halt\",\"args\":[9]}", "exited with code 9");
    }

    @Test
    void outOfMemoryFailsTheJobWithWorkerLostError() {
        assertLost("{\"task\":\"oom\"}", "OutOfMemoryError");
    }

    /**
     * A worker killed for a cancel gets SIGTERM and its kill grace; its frame reader reads on to the
     * pipe's end. Process.destroy() closed the reader's pipe under it: a protocol ERROR and a
     * SIGKILL inside the grace (a black-box run saw 24 for 43 cancels of CPU-bound jobs).
     */
    @Test
    @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
    void aCancelledBusyWorkerEndsWithoutAProtocolError(org.springframework.boot.test.system.CapturedOutput output) {
        // Short jobs whose progress frames are still arriving when the cancel's SIGTERM ends the
        // worker: the window in which the pipe is closed between two reads.
        for (int i = 0; i < 20; i++) {
            String id = api.submit("{\"task\":\"primes\",\"args\":[1500000]}").get("id").asString();
            Await.until("job " + id + " started", Duration.ofSeconds(20),
                    () -> !api.get("/v1/jobs/" + id).json().get("status").asString().equals("QUEUED"));
            api.post("/v1/jobs/" + id + "/cancel", null);
        }
        assertPoolBackToFullSizeWithout(-1);
        assertThat(output.getOut() + output.getErr()).doesNotContain("broke the protocol");
    }

    @Test
    void hangingJobTimesOutAndItsWorkerIsKilled() {
        JsonNode job = api.run("{\"task\":\"hang\",\"timeoutSeconds\":0.5}", 30);
        assertThat(job.get("status").asString()).isEqualTo("FAILED");
        assertThat(job.get("error").get("type").asString()).isEqualTo("TimeoutError");
        long pid = job.get("worker").get("pid").asLong();
        assertProcessGone(pid);
        assertPoolBackToFullSizeWithout(pid);
    }

    @Test
    void killMinus9OfABusyWorkerFailsItsJob() {
        String id = api.submit("{\"task\":\"sleep\",\"args\":[30]}").get("id").asString();
        long pid = Await.until("job running on a worker", Duration.ofSeconds(10), () -> api.get("/v1/jobs/" + id).json(),
                job -> job.get("status").asString().equals("RUNNING") && !job.get("worker").isNull() && !job.get("worker").get("pid").isNull())
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
                job -> job.get("status").asString().equals("RUNNING") && !job.get("worker").isNull() && !job.get("worker").get("pid").isNull())
                .get("worker").get("pid").asLong();
        JsonNode cancelled = api.post("/v1/jobs/" + id + "/cancel", null).json();
        assertThat(cancelled.get("status").asString()).isEqualTo("CANCELLED");
        assertThat(cancelled.get("worker").get("pid").asLong()).as("the process that ran it").isEqualTo(pid);
        assertProcessGone(pid);
        assertPoolBackToFullSizeWithout(pid);
        JsonNode later = api.get("/v1/jobs/" + id).json();
        assertThat(later.get("status").asString()).isEqualTo("CANCELLED");
        assertThat(later.get("worker").get("pid").asLong()).isEqualTo(pid);
    }

    /** Returns the job's error message. */
    private String assertLost(String submission, String messagePart) {
        JsonNode job = api.run(submission, 30);
        assertThat(job.get("status").asString()).isEqualTo("FAILED");
        assertThat(job.get("error").get("type").asString()).isEqualTo("WorkerLostError");
        assertThat(job.get("error").get("message").asString()).contains(messagePart);
        long pid = job.get("worker").get("pid").asLong();
        assertProcessGone(pid);
        assertPoolBackToFullSizeWithout(pid);
        assertThat(api.run("{\"task\":\"square\",\"args\":[2]}", 10).get("result").asInt()).isEqualTo(4);
        return job.get("error").get("message").asString();
    }

    private static void assertProcessGone(long pid) {
        Await.until("process " + pid + " gone", Duration.ofSeconds(10), () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    private void assertPoolBackToFullSizeWithout(long deadPid) {
        // The pool publishes its picture after each round, so wait for the round that replaced the dead worker.
        Await.until("pool back to 2 ready workers without pid " + deadPid, Duration.ofSeconds(10), () -> {
            JsonNode workers = api.get("/v1/pool").json().get("workers");
            return workers.size() == 2
                    && workers.findValuesAsString("state").stream().allMatch(s -> s.equals("IDLE") || s.equals("BUSY"))
                    && workers.findValues("pid").stream().noneMatch(pid -> pid.asLong() == deadPid);
        });
    }
}
