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
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
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
    @org.junit.jupiter.api.Order(1)
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
        for (JsonNode worker : python(api).get("workers")) {
            if (!worker.get("state").asString().equals("IDLE")) {
                return Set.of();
            }
            pids.add(worker.get("pid").asLong());
        }
        return pids;
    }

    /**
     * A module added later cannot take over a Java task's name: the start refuses such a name
     * ({@link DuplicateTaskNameTest}), and a worker that brings one later fails to boot, with the
     * pool saying why, while the Java task keeps running on Java workers. Last: it leaves the
     * Python pool failing to boot.
     */
    @Test
    @org.junit.jupiter.api.Order(2)
    void aPythonWorkerThatRegistersAJavaTaskNameLaterFailsToBoot() throws Exception {
        ApiClient api = new ApiClient(port);
        Await.until("the python workers ready", Duration.ofSeconds(60), () -> idlePythonPids(api), pids -> !pids.isEmpty());

        // It prints as it loads: the worker booted fine, so that output is no part of why the pool refused it.
        Files.writeString(TASKS.resolve("clash.py"), "import sys\nfrom jobpool_task import task\n\n"
                + "print('clash module loaded', file=sys.stderr)\n\n@task\ndef square(x):\n    return 'python square'\n");
        // Another worker reads the task modules again.
        ApiClient.Response resized = api.put("/v1/pool", "{\"size\":4,\"runtime\":\"python\"}");
        assertThat(resized.status()).isEqualTo(200);
        for (JsonNode pool : resized.json().get("pools")) {
            assertThat(pool.get("size").asInt()).as("%s, as ordered", pool.get("runtime").asString())
                    .isEqualTo(pool.get("runtime").asString().equals("python") ? 4 : 1);
        }

        JsonNode refused = Await.until("the python pool's boot error", Duration.ofSeconds(60), () -> python(api),
                pool -> !pool.get("bootError").isNull());
        assertThat(refused.get("bootError").asString()).contains("square", "java").endsWith("rename the task or remove one of them")
                .doesNotContain("clash module loaded");
        for (int i = 0; i < 3; i++) {
            JsonNode job = api.run("{\"task\":\"square\",\"args\":[3]}", 30);
            assertThat(job.get("result").asInt()).as("the Java task runs, not the Python one").isEqualTo(9);
        }
        assertThat(api.get("/v1/tasks").json().findValuesAsString("name").stream().filter("square"::equals).count())
                .as("listed once").isEqualTo(1);
        assertThat(api.run("{\"task\":\"first\",\"args\":[1]}", 30).get("result").asInt())
                .as("the worker from before keeps running the Python tasks").isEqualTo(1);
    }

    private static JsonNode python(ApiClient api) {
        for (JsonNode pool : api.get("/v1/pool").json().get("pools")) {
            if (pool.get("runtime").asString().equals("python")) {
                return pool;
            }
        }
        throw new AssertionError("no python pool in GET /v1/pool");
    }
}
