package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import io.jobpool.testing.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Tests SIGTERM on the built jar as a real process: no new claims, running jobs get the shutdown
 * grace, the rest are killed and put back in the queue without counting as an attempt, and
 * nothing accepted is lost.
 */
class GracefulShutdownIT {

    private final Path data = Path.of("target", "it-data", "shutdown-" + System.nanoTime());
    private final Map<String, String> environment = Map.of("JOBPOOL_POOL_SIZE", "2", "JOBPOOL_SHUTDOWN_GRACE", "3s");

    @Test
    void sigtermFinishesWhatFitsTheGraceAndRequeuesTheRest() throws Exception {
        String quick;
        String slow;
        List<String> queued = new ArrayList<>();
        List<Long> workers;
        try (ServerProcess server = ServerProcess.start(data, environment)) {
            ApiClient api = new ApiClient(server.port());
            quick = api.submit("{\"task\":\"sleep\",\"args\":[1]}").get("id").asString();
            slow = api.submit("{\"task\":\"sleep\",\"args\":[6]}").get("id").asString();
            Await.until("both sleeps running", Duration.ofSeconds(15), () -> api.get("/v1/jobs?status=RUNNING").json().get("items").size() == 2);
            for (int i = 0; i < 3; i++) {
                queued.add(api.submit("{\"task\":\"square\",\"args\":[" + i + "]}").get("id").asString());
            }
            workers = server.workerPids();
            int exit = server.terminate(Duration.ofSeconds(60));
            assertThat(exit).isIn(0, 143);
        }
        for (long pid : workers) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("worker %d outlived the server", pid).isFalse();
        }
        Instant restarted = Instant.now();
        try (ServerProcess server = ServerProcess.start(data, environment)) {
            ApiClient api = new ApiClient(server.port());
            JsonNode finishedInGrace = api.get("/v1/jobs/" + quick).json();
            assertThat(finishedInGrace.get("status").asString()).isEqualTo("SUCCEEDED");
            assertThat(Instant.parse(finishedInGrace.get("finishedAt").asString())).isBefore(restarted);

            JsonNode interrupted = api.awaitReady(slow, 30);
            assertThat(interrupted.get("status").asString()).isEqualTo("SUCCEEDED");
            assertThat(interrupted.get("attempts").asInt()).as("the interrupted run is not counted").isEqualTo(1);
            assertThat(Instant.parse(interrupted.get("startedAt").asString())).isAfter(restarted);

            for (String id : queued) {
                JsonNode job = api.awaitReady(id, 30);
                assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
                assertThat(Instant.parse(job.get("startedAt").asString())).as("not claimed after SIGTERM").isAfter(restarted);
            }
        }
    }
}
