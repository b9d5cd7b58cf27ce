package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.Await;
import io.jobpool.testing.OsProcesses;
import io.jobpool.testing.ServiceTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalManagementPort;
import tools.jackson.databind.JsonNode;

/**
 * Tests, through the API, that a job leaves no process behind and that a cancel takes the task's
 * child processes along: what users see in the job, its log and the metrics.
 */
class LeftoverProcessesTest extends ServiceTest {

    @LocalManagementPort
    int managementPort;

    private final String seconds = OsProcesses.uniqueSeconds();

    @AfterEach
    void leaveNothingBehind() {
        OsProcesses.killSleeping(seconds);
    }

    @Test
    void aDetachedProcessIsGoneWhenItsJobSucceedsAndTheKillIsLoggedAndCounted() throws Exception {
        double before = leftoversKilled("orphan");

        JsonNode job = api.run("{\"task\":\"orphan\",\"args\":[" + seconds + "]}", 30);

        assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(OsProcesses.sleeping(seconds)).as("the detached sleep once the job is SUCCEEDED").isEmpty();
        String logs = api.get("/v1/jobs/" + job.get("id").asString() + "/logs").body();
        assertThat(logs).contains("[jobpool] 1 process(es) the task left running; terminating (SIGTERM, then SIGKILL after ")
                .contains(" ms if still running): pid ")
                .contains("(sleep " + seconds + ")");
        assertThat(leftoversKilled("orphan")).isEqualTo(before + 1);
    }

    @Test
    void cancellingASpawnKillsItsChildWithTheWorker() {
        String id = api.submit("{\"task\":\"spawn\",\"args\":[" + seconds + "]}").get("id").asString();
        ProcessHandle child = OsProcesses.awaitOneSleeping(seconds, Duration.ofSeconds(30));
        long worker = Await.until("job running on a worker", Duration.ofSeconds(10), () -> api.get("/v1/jobs/" + id).json(),
                j -> j.get("status").asString().equals("RUNNING") && !j.get("worker").isNull() && j.get("worker").path("pid").asLong() > 0)
                .get("worker").get("pid").asLong();

        assertThat(api.post("/v1/jobs/" + id + "/cancel", null).json().get("status").asString()).isEqualTo("CANCELLED");

        // kill-grace is 1 s in these tests: gone within the grace plus a second.
        OsProcesses.awaitGone(worker, Duration.ofSeconds(2));
        OsProcesses.awaitGone(child.pid(), Duration.ofSeconds(2));
        // What the task printed before the kill stays its log, as after a timeout.
        Await.until("the cancelled job's log", Duration.ofSeconds(10), () -> api.get("/v1/jobs/" + id + "/logs").body(),
                logs -> logs.contains("started child process sleep " + seconds));
        assertThat(api.get("/v1/jobs/" + id).json().get("worker").get("pid").asLong()).isEqualTo(worker);
    }

    private double leftoversKilled(String task) throws Exception {
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + managementPort + "/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines().filter(l -> l.startsWith("jobpool_leftover_processes_killed_total{") && l.contains("task=\"" + task + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
