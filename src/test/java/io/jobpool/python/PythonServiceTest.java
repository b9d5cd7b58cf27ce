package io.jobpool.python;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Base of tests that drive the service with a Python pool: two real Java workers and two real
 * Python worker processes importing {@code src/test/resources/python-tasks}, with a memory limit
 * and a max-worker-rss bound small enough for the tests to cross.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "jobpool.pool.size=2",
        "jobpool.python.pool.size=2",
        "jobpool.python.pool.kill-grace=1s",
        "jobpool.python.pool.worker-memory-limit=400MB",
        "jobpool.python.pool.max-worker-rss=120MB",
        // The Java pool's setting: Python workers have their own (python.pool.kill-leftover-processes, on).
        "jobpool.pool.kill-leftover-processes=false",
        "jobpool.jobs.max-timeout=1h",
        "management.server.port=0"})
abstract class PythonServiceTest {

    private static final Path DATA = Path.of("target", "test-data", "python-" + ProcessHandle.current().pid());

    @LocalServerPort
    protected int port;

    protected ApiClient api;

    @DynamicPropertySource
    static void paths(DynamicPropertyRegistry registry) {
        registry.add("jobpool.data-dir", () -> DATA.toAbsolutePath().toString());
        registry.add("jobpool.python.tasks-dir", () -> Path.of("src", "test", "resources", "python-tasks").toAbsolutePath().toString());
    }

    @BeforeEach
    void client() {
        api = new ApiClient(port);
    }

    /** The Python entry of {@code GET /v1/pool}. */
    protected JsonNode pythonPool() {
        for (JsonNode pool : api.get("/v1/pool").json().get("pools")) {
            if (pool.get("runtime").asString().equals("python")) {
                return pool;
            }
        }
        throw new AssertionError("no python pool in GET /v1/pool");
    }

    protected void awaitPythonPoolFullWithout(long deadPid) {
        // The pool publishes its picture after each round, so wait for the round that replaced the dead worker.
        Await.until("python pool back to 2 ready workers without pid " + deadPid, Duration.ofSeconds(20), () -> {
            JsonNode workers = pythonPool().get("workers");
            return workers.size() == 2
                    && workers.findValuesAsString("state").stream().allMatch(s -> s.equals("IDLE") || s.equals("BUSY"))
                    && workers.findValues("pid").stream().noneMatch(pid -> pid.asLong() == deadPid);
        });
    }

    protected static void awaitProcessGone(long pid) {
        Await.until("process " + pid + " gone", Duration.ofSeconds(10), () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    protected String awaitRunningOnWorker(String id) {
        return Await.until("job running on a worker", Duration.ofSeconds(20), () -> api.get("/v1/jobs/" + id).json(),
                job -> job.get("status").asString().equals("RUNNING") && !job.get("worker").isNull())
                .get("worker").get("pid").asString();
    }
}
