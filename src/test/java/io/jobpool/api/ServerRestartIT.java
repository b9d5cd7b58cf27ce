package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import io.jobpool.testing.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Tests that nothing accepted is lost when the server process is killed with SIGKILL: the built
 * jar runs as a real separate process, is killed mid-work, and is started again on the same data
 * directory.
 */
class ServerRestartIT {

    private final Path data = Path.of("target", "it-data", "restart-" + System.nanoTime());
    private final Map<String, String> environment = Map.of("JOBPOOL_POOL_SIZE", "1", "JOBPOOL_TASKS_DIAGNOSTICS", "true");

    @Test
    void killMinus9WithJobsQueuedAndRunningLosesNothing() throws Exception {
        String running;
        List<String> queued = new ArrayList<>();
        List<Long> oldWorkers;
        try (ServerProcess first = ServerProcess.start(data, environment)) {
            ApiClient api = new ApiClient(first.port());
            running = api.submit("{\"task\":\"sleep\",\"args\":[2]}").get("id").asString();
            for (int i = 0; i < 5; i++) {
                queued.add(api.submit("{\"task\":\"square\",\"args\":[" + i + "]}").get("id").asString());
            }
            Await.until("the sleep job running", Duration.ofSeconds(15),
                    () -> api.get("/v1/jobs/" + running).json().get("status").asString().equals("RUNNING"));
            oldWorkers = first.workerPids();
            assertThat(oldWorkers).isNotEmpty();
            first.killHard();
        }
        for (long pid : oldWorkers) {
            Await.until("worker " + pid + " of the killed server exits", Duration.ofSeconds(10),
                    () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
        }
        try (ServerProcess second = ServerProcess.start(data, environment)) {
            ApiClient api = new ApiClient(second.port());
            JsonNode redelivered = api.awaitReady(running, 30);
            assertThat(redelivered.get("status").asString()).isEqualTo("SUCCEEDED");
            assertThat(redelivered.get("attempts").asInt()).as("ran again after the crash").isEqualTo(2);
            for (int i = 0; i < queued.size(); i++) {
                JsonNode job = api.awaitReady(queued.get(i), 30);
                assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
                assertThat(job.get("result").asInt()).isEqualTo(i * i);
                assertThat(job.get("attempts").asInt()).isEqualTo(1);
            }
            assertThat(api.get("/v1/jobs?status=RUNNING").json().get("items")).isEmpty();
            assertThat(api.get("/v1/jobs?status=QUEUED").json().get("items")).isEmpty();
        }
    }

    @Test
    void aJobLostMoreOftenThanMaxRedeliveriesFailsWithWorkerLostError() throws Exception {
        Map<String, String> noRedelivery = Map.of("JOBPOOL_POOL_SIZE", "1", "JOBPOOL_TASKS_DIAGNOSTICS", "true",
                "JOBPOOL_JOBS_MAX_REDELIVERIES", "0");
        String id;
        try (ServerProcess first = ServerProcess.start(data, noRedelivery)) {
            ApiClient api = new ApiClient(first.port());
            id = api.submit("{\"task\":\"hang\"}").get("id").asString();
            Await.until("the job running", Duration.ofSeconds(15),
                    () -> api.get("/v1/jobs/" + id).json().get("status").asString().equals("RUNNING"));
            first.killHard();
        }
        try (ServerProcess second = ServerProcess.start(data, noRedelivery)) {
            JsonNode job = new ApiClient(second.port()).awaitReady(id, 10);
            assertThat(job.get("status").asString()).isEqualTo("FAILED");
            assertThat(job.get("error").get("type").asString()).isEqualTo("WorkerLostError");
        }
    }
}
