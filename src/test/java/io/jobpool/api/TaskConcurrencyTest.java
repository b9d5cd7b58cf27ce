package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/** Tests for {@code jobpool.tasks.<name>.max-concurrency} on a pool of two real workers. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "jobpool.pool.size=2",
        "jobpool.tasks.sleep.max-concurrency=1",
        "management.server.port=0"})
class TaskConcurrencyTest {

    @LocalServerPort
    int port;

    private ApiClient api;

    @DynamicPropertySource
    static void store(DynamicPropertyRegistry registry) {
        registry.add("jobpool.data-dir", () -> Path.of("target", "test-data", "caps-" + ProcessHandle.current().pid())
                .toAbsolutePath().toString());
    }

    @BeforeEach
    void client() {
        api = new ApiClient(port);
    }

    @Test
    void twoSleepJobsNeverRunAtOnceWhileEchoJobsFlowPast() {
        List<String> sleeps = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            sleeps.add(api.submit("{\"task\":\"sleep\",\"args\":[3],\"priority\":5}").get("id").asString());
        }
        List<String> echoes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            echoes.add(api.submit("{\"task\":\"echo\",\"args\":[" + i + "]}").get("id").asString());
        }
        List<JsonNode> sleepJobs = sleeps.stream().map(id -> api.awaitReady(id, 60)).sorted(
                Comparator.comparing(job -> Instant.parse(job.get("startedAt").asString()))).toList();
        for (int i = 1; i < sleepJobs.size(); i++) {
            Instant previousEnd = Instant.parse(sleepJobs.get(i - 1).get("finishedAt").asString());
            Instant start = Instant.parse(sleepJobs.get(i).get("startedAt").asString());
            assertThat(start).as("sleep %d starts after sleep %d ended", i, i - 1).isAfterOrEqualTo(previousEnd);
        }
        Instant lastSleepStarted = Instant.parse(sleepJobs.getLast().get("startedAt").asString());
        for (String id : echoes) {
            JsonNode echo = api.awaitReady(id, 60);
            assertThat(echo.get("status").asString()).isEqualTo("SUCCEEDED");
            // Held behind the capped sleep jobs (head-of-line blocking), an echo could not start
            // before the last of them had started.
            assertThat(Instant.parse(echo.get("startedAt").asString()))
                    .as("echo jobs run past the queued sleep jobs").isBefore(lastSleepStarted);
        }
        assertThat(sleepJobs).allMatch(job -> job.get("status").asString().equals("SUCCEEDED"));
    }
}
