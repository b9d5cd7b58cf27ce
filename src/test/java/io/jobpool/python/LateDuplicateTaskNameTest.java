package io.jobpool.python;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Tests that a Python task added while the service runs cannot take over a Java task's name: the
 * start refuses such a name ({@link DuplicateTaskNameTest}), and a worker that brings one later
 * fails to boot, with the pool saying why, while the Java task keeps running on Java workers.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "jobpool.pool.size=1",
        "jobpool.python.pool.size=1",
        "management.server.port=0"})
class LateDuplicateTaskNameTest {

    private static final Path DATA = Path.of("target", "test-data", "python-late-duplicate-" + ProcessHandle.current().pid());
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
    void aPythonWorkerThatRegistersAJavaTaskNameLaterFailsToBoot() throws Exception {
        ApiClient api = new ApiClient(port);
        Await.until("the python worker ready", Duration.ofSeconds(60), () -> python(api).get("workers"),
                workers -> workers.size() == 1 && workers.get(0).get("state").asString().equals("IDLE"));

        Files.writeString(TASKS.resolve("clash.py"),
                "from jobpool_task import task\n\n@task\ndef square(x):\n    return 'python square'\n");
        // A second worker reads the task modules again.
        ApiClient.Response resized = api.put("/v1/pool", "{\"size\":2,\"runtime\":\"python\"}");
        assertThat(resized.status()).isEqualTo(200);
        for (JsonNode pool : resized.json().get("pools")) {
            assertThat(pool.get("size").asInt()).as("%s, as ordered", pool.get("runtime").asString())
                    .isEqualTo(pool.get("runtime").asString().equals("python") ? 2 : 1);
        }

        JsonNode refused = Await.until("the python pool's boot error", Duration.ofSeconds(60), () -> python(api),
                pool -> !pool.get("bootError").isNull());
        assertThat(refused.get("bootError").asString()).contains("square", "java");
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
