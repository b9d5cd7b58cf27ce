package io.jobpool.python;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Tests for a Python task module that does not import: the Python pool reports the traceback and
 * backs off, readiness is down and says why, and Java tasks keep running.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "jobpool.pool.size=1",
        "jobpool.python.pool.size=1",
        "management.server.port=0"})
class BrokenPythonModuleTest {

    private static final Path DATA = Path.of("target", "test-data", "python-broken-" + ProcessHandle.current().pid());

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @DynamicPropertySource
    static void paths(DynamicPropertyRegistry registry) {
        registry.add("jobpool.data-dir", () -> DATA.toAbsolutePath().toString());
        registry.add("jobpool.python.tasks-dir", () -> Path.of("src", "test", "resources", "python-tasks-broken").toAbsolutePath().toString());
    }

    @Test
    void aSyntaxErrorIsABootFailureThatReadinessExplainsWhileJavaTasksKeepRunning() throws Exception {
        ApiClient api = new ApiClient(port);
        PythonBootFailure.assertReported(api, managementPort, "Traceback (most recent call last):", "broken.py", "SyntaxError");

        assertThat(api.run("{\"task\":\"square\",\"args\":[5]}", 30).get("result").asInt()).isEqualTo(25);
        assertThat(api.get("/v1/pool").json().get("bootError").isNull()).as("the Java pool boots").isTrue();
    }
}
