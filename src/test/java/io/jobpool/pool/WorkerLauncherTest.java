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

    @Test
    void theServersOwnConfigurationCannotBePassedThrough() {
        Map<String, String> server = Map.of("SPRING_DATASOURCE_PASSWORD", "hunter2", "JOBPOOL_SECURITY_API_KEYS_0_SHA256", "ab");
        for (String name : List.of("SPRING_DATASOURCE_PASSWORD", "JOBPOOL_SECURITY_API_KEYS_0_SHA256", "jobpool_webhooks_secret")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> WorkerLauncher.scrub(server, List.of("TASK_REGION", name)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("worker-env names " + name);
        }
    }

    @Test
    void workerClasspathHoldsNoSpring() {
        List<String> entries = WorkerClasspath.asStrings(WorkerClasspath.resolve(java.nio.file.Path.of("target", "worker-cache"), null));
        assertThat(entries).noneMatch(entry -> entry.contains("spring"));
        assertThat(entries).anyMatch(entry -> entry.contains("jackson-databind"));
    }
}
