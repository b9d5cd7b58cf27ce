package io.jobpool.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

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
        // Longer than any wait in these tests: an answer that waited for the fallback poll instead
        // of the event that should have woken it (a job finishing, a pool closing) fails the test.
        "jobpool.cluster.poll-interval=10m",
        // LongPollTest's thousand waits share one caller (the service runs open here).
        "jobpool.security.max-long-polls-per-key=1100",
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
        // Every context of this class uses the one data directory below: a subclass with its own
        // properties would start a second server on the same embedded store, whose claims and
        // commits then race this one's (seen in CI as H2 deadlocks and a batch that never finished).
        assertThat(getClass().isAnnotationPresent(TestPropertySource.class))
                .as("%s must share ServiceTest's context; put its properties in ServiceTest", getClass().getSimpleName())
                .isFalse();
        api = new ApiClient(port);
    }
}
