package io.jobpool.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tests for {@link WorkerLauncher}. */
class WorkerLauncherTest {

    @Test
    void scrubsTheServersSecretsFromTheWorkerEnvironment() {
        Map<String, String> server = Map.of(
                "PATH", "/usr/bin", "HOME", "/home/app", "LANG", "C.UTF-8",
                "JOBPOOL_SECURITY_API_KEYS", "secret-key", "JOBPOOL_WEBHOOKS_SECRET", "whsec_x",
                "SPRING_DATASOURCE_PASSWORD", "hunter2", "JAVA_TOOL_OPTIONS", "-Xmx4g", "TASK_REGION", "eu");
        Map<String, String> worker = WorkerLauncher.scrub(server, List.of("TASK_REGION"));
        assertThat(worker).containsOnlyKeys("PATH", "HOME", "LANG", "TASK_REGION");
    }

    /** The settings refuse such a worker-env at start (SettingBoundsTest); the launcher never hands them over regardless. */
    @Test
    void theServersOwnConfigurationIsNeverPassedThrough() {
        Map<String, String> server = Map.of("SPRING_DATASOURCE_PASSWORD", "hunter2", "JOBPOOL_SECURITY_API_KEYS_0_SHA256", "ab",
                "jobpool_webhooks_secret", "whsec_x", "TASK_REGION", "eu");
        Map<String, String> worker = WorkerLauncher.scrub(server,
                List.of("TASK_REGION", "SPRING_DATASOURCE_PASSWORD", "JOBPOOL_SECURITY_API_KEYS_0_SHA256", "jobpool_webhooks_secret"));
        assertThat(worker).containsOnlyKeys("TASK_REGION");
    }

    @Test
    void workerClasspathHoldsNoSpring() {
        List<String> entries = WorkerClasspath.asStrings(WorkerClasspath.resolve(java.nio.file.Path.of("target", "worker-cache"), null));
        assertThat(entries).noneMatch(entry -> entry.contains("spring"));
        assertThat(entries).anyMatch(entry -> entry.contains("jackson-databind"));
    }
}
