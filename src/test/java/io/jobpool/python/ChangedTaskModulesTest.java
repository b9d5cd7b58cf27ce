package io.jobpool.python;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Tests that a task module added while the service runs reaches every worker: the first worker
 * started after the change registers the new task, and the workers started before it, which never
 * imported the module, are replaced rather than sent its jobs to fail with UnknownTaskError.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "jobpool.pool.size=1",
        "jobpool.python.pool.size=2",
        "management.server.port=0"})
class ChangedTaskModulesTest {

    private static final Path DATA = Path.of("target", "test-data", "python-changed-" + ProcessHandle.current().pid());
    private static final Path TASKS = DATA.resolve("tasks");

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void paths(DynamicPropertyRegistry registry) throws java.io.IOException {
        Files.createDirectories(TASKS);
        Files.writeString(TASKS.resolve("first.py"), "from jobpool_task import task\n\n@task\ndef first(x):\n    return x\n");
        registry.add("jobpool.data-dir", () -> DATA.resolve("data").toAbsolutePath().toString());
        registry.add("jobpool.python.tasks-dir", () -> TASKS.toAbsolutePath().toString());
    }

    @Test
    void aModuleAddedWhileRunningReachesEveryWorkerOnceOneStartsAfterIt() throws Exception {
        ApiClient api = new ApiClient(port);
        Set<Long> before = Await.until("two python workers ready", Duration.ofSeconds(60), () -> idlePythonPids(api),
                pids -> pids.size() == 2);

        Files.writeString(TASKS.resolve("late.py"), "from jobpool_task import task\n\n@task\ndef late(x):\n    return x + 1\n");
        assertThat(api.put("/v1/pool", "{\"size\":3,\"runtime\":\"python\"}").status()).isEqualTo(200);

        Set<Long> after = Await.until("three python workers ready, none from before the module", Duration.ofSeconds(60),
                () -> idlePythonPids(api), pids -> pids.size() == 3 && pids.stream().noneMatch(before::contains));
        assertThat(api.get("/v1/tasks").body()).contains("\"late\"");
        // Six jobs at once on three idle workers: each worker gets some, and every one has the task.
        String[] ids = new String[6];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = api.submit("{\"task\":\"late\",\"args\":[" + i + "]}").get("id").asString();
        }
        Set<Long> ranOn = new HashSet<>();
        for (int i = 0; i < ids.length; i++) {
            JsonNode job = api.awaitReady(ids[i], 30);
            assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
            assertThat(job.get("result").asInt()).isEqualTo(i + 1);
            ranOn.add(job.get("worker").get("pid").asLong());
        }
        assertThat(after).containsAll(ranOn);
    }

    /** The pids of the Python pool's workers when all of them are idle, else an empty set. */
    private static Set<Long> idlePythonPids(ApiClient api) {
        Set<Long> pids = new HashSet<>();
        for (JsonNode pool : api.get("/v1/pool").json().get("pools")) {
            if (pool.get("runtime").asString().equals("python")) {
                for (JsonNode worker : pool.get("workers")) {
                    if (!worker.get("state").asString().equals("IDLE")) {
                        return Set.of();
                    }
                    pids.add(worker.get("pid").asLong());
                }
            }
        }
        return pids;
    }
}
