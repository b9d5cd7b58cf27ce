package io.jobpool.python;

import io.jobpool.testing.ApiClient;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

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
        PythonBootFailure.assertReported(api, managementPort, "json.py", "shadows the module 'json'");
    }
}
