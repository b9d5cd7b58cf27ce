package io.jobpool.testing;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Base of tests that drive the whole service over HTTP: a real Tomcat on a random port, the H2
 * file store in a directory of its own, and two real worker processes with the diagnostic tasks.
 * Subclasses share one application context (and so one pool) per test JVM.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "jobpool.tasks.diagnostics=true",
        "jobpool.pool.size=2",
        "jobpool.pool.kill-grace=1s",
        "jobpool.jobs.max-request-bytes=64KB",
        "jobpool.jobs.max-payload-bytes=16KB",
        "jobpool.jobs.max-result-bytes=8KB",
        "jobpool.jobs.max-timeout=1h",
        "management.server.port=0"})
public abstract class ServiceTest {

    private static final Path DATA = Path.of("target", "test-data", "service-" + ProcessHandle.current().pid());

    @LocalServerPort
    protected int port;

    protected ApiClient api;

    @DynamicPropertySource
    static void store(DynamicPropertyRegistry registry) {
        registry.add("jobpool.data-dir", () -> DATA.toAbsolutePath().toString());
    }

    @BeforeEach
    void client() {
        api = new ApiClient(port);
    }
}
