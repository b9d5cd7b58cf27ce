package io.jobpool.python;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Tests for a Python task module named like a module the worker has already imported ({@code json.py}):
 * its import would quietly give the worker's own module and none of its tasks, so it is a boot failure
 * the pool reports, as for a module that does not import.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "jobpool.pool.size=1",
        "jobpool.python.pool.size=1",
        "management.server.port=0"})
class ShadowingPythonModuleTest {

    private static final Path DATA = Path.of("target", "test-data", "python-shadowing-" + ProcessHandle.current().pid());

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    @DynamicPropertySource
    static void paths(DynamicPropertyRegistry registry) {
        registry.add("jobpool.data-dir", () -> DATA.toAbsolutePath().toString());
        registry.add("jobpool.python.tasks-dir", () -> Path.of("src", "test", "resources", "python-tasks-shadowing").toAbsolutePath().toString());
    }

    @Test
    void aModuleShadowingAnImportedOneIsABootFailureThatNamesTheClash() throws Exception {
        ApiClient api = new ApiClient(port);
        JsonNode python = Await.until("python boot error reported", Duration.ofSeconds(30), () -> {
            for (JsonNode pool : api.get("/v1/pool").json().get("pools")) {
                if (pool.get("runtime").asString().equals("python") && !pool.get("bootError").isNull()) {
                    return pool;
                }
            }
            return null;
        }, pool -> pool != null);
        assertThat(python.get("bootError").asString()).contains("code 78", "json.py", "shadows the module 'json'");

        HttpResponse<String> readiness = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + managementPort + "/actuator/health/readiness")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(readiness.statusCode()).isEqualTo(503);
        assertThat(readiness.body()).contains("shadows the module 'json'");
    }
}
