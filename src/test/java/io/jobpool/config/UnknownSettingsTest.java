package io.jobpool.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * Tests that a misspelt {@code jobpool.*} key is reported with the key it was meant to be, from
 * the environment and from arguments or files alike, and that no real key is reported.
 */
class UnknownSettingsTest {

    private static List<UnknownSettings.Unknown> find(Map<String, Object> properties, Map<String, Object> environmentVariables) {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, environmentVariables));
        environment.getPropertySources().addFirst(new MapPropertySource("commandLineArgs", properties));
        return UnknownSettings.find(environment);
    }

    @Test
    void aMisspeltKeyIsReportedWithTheKeyItWasMeantToBe() {
        List<UnknownSettings.Unknown> unknown = find(Map.of("jobpool.pool.siez", "4", "jobpool.jobs.max-task-per-worker", "3",
                "jobpool.metrics.enabled", "true"),
                Map.of("JOBPOOL_POOL_MAXTASKPERWORKER", "5", "JOBPOOL_WEBHOOK_SECRET", "whsec_x"));

        assertThat(unknown).extracting(UnknownSettings.Unknown::key, UnknownSettings.Unknown::suggestion).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("jobpool.pool.siez", "jobpool.pool.size"),
                org.assertj.core.groups.Tuple.tuple("jobpool.jobs.max-task-per-worker", "jobpool.pool.max-tasks-per-worker"),
                org.assertj.core.groups.Tuple.tuple("jobpool.metrics.enabled", null),
                org.assertj.core.groups.Tuple.tuple("jobpool.pool.maxtaskperworker", "jobpool.pool.max-tasks-per-worker"),
                org.assertj.core.groups.Tuple.tuple("jobpool.webhook.secret", "jobpool.webhooks.secret"));
        assertThat(unknown.stream().filter(u -> u.key().equals("jobpool.pool.maxtaskperworker")).findFirst().orElseThrow().message())
                .contains("JOBPOOL_POOL_MAXTASKPERWORKER").contains("is not a jobpool setting and is ignored")
                .contains("did you mean jobpool.pool.max-tasks-per-worker?");
    }

    @Test
    void aListEntryAfterAGapIsReportedAsIgnoredAndUnderSecurityRefusesTheStart() {
        List<UnknownSettings.Unknown> unknown = find(Map.of("jobpool.pool.worker-jvm-options[1]", "-Xss1m"),
                Map.of("JOBPOOL_SECURITY_API_KEYS_0_NAME", "a", "JOBPOOL_SECURITY_API_KEYS_0_SHA256", "x", "JOBPOOL_SECURITY_API_KEYS_2_NAME", "c",
                        "JOBPOOL_SECURITY_API_KEYS_2_SHA256", "y", "JOBPOOL_POOL_WORKER_ENV_0", "LANG", "JOBPOOL_POOL_WORKER_ENV_2", "TZ"));

        // A list of plain values is named as documented too (worker-env, not the variable's worker.env).
        assertThat(unknown).extracting(UnknownSettings.Unknown::key).containsExactlyInAnyOrder("jobpool.pool.worker-jvm-options[1]",
                "jobpool.security.api-keys[2]", "jobpool.pool.worker-env[2]");
        assertThat(unknown).allSatisfy(u -> assertThat(u.message()).contains("is ignored:").contains("is missing", "first missing index")
                .doesNotContain("not a jobpool setting").doesNotContain("PropertySource {"));
        UnknownSettings.Unknown key = UnknownSettings.security(unknown).getFirst();
        assertThat(UnknownSettings.security(unknown)).containsExactly(key);
        // Named as the README writes it, with the variable that set it.
        assertThat(key.message()).startsWith("jobpool.security.api-keys[2] (").contains("JOBPOOL_SECURITY_API_KEYS_2_")
                .contains("jobpool.security.api-keys[1] is missing");
        // In a refused start it is not "ignored": the service does not run without it.
        assertThat(key.message(false)).contains("is not read:", "jobpool.security.api-keys[1] is missing").doesNotContain("ignored");
    }

    @Test
    @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
    void anEmptyListOfKeysIsASettingAndAMisspeltKeyVariableRefusesTheStart(org.springframework.boot.test.system.CapturedOutput output) {
        assertThat(find(Map.of("jobpool.security.api-keys", ""), Map.of())).isEmpty();

        org.springframework.boot.builder.SpringApplicationBuilder application = new org.springframework.boot.builder.SpringApplicationBuilder(
                io.jobpool.JobpoolApplication.class).properties("server.port=0", "management.server.port=0",
                "jobpool.data-dir=target/test-data/unknown-settings-" + ProcessHandle.current().pid(), "jobpool.pool.size=1",
                "jobpool.security.api-key[0].name=ci", "jobpool.security.api-key[0].sha256=" + "ab".repeat(32),
                "jobpool.security.api-key[0].roles=submit", "jobpool.pool.siez=4");
        org.assertj.core.api.Assertions.assertThatThrownBy(application::run).hasRootCauseInstanceOf(StartRefusedException.class)
                .rootCause().hasMessageContaining("jobpool.security.api-key[0].sha256 (")
                .hasMessageContaining("is not a jobpool setting; did you mean jobpool.security.api-keys[0].sha256?")
                .hasMessageNotContaining("ignored");
        // The other misspelt keys are named in the same start, not only once the security ones are fixed.
        assertThat(output.getOut()).contains("jobpool.pool.siez", "is not a jobpool setting and is ignored; did you mean jobpool.pool.size?");
    }

    /** Without a tasks directory there is no Python pool: its settings would size nothing, without a word. */
    @Test
    void aPythonPoolSettingWithoutATasksDirectoryIsReportedAsIgnored() {
        List<UnknownSettings.Unknown> unknown = find(Map.of("jobpool.python.executable", "python3.12"),
                Map.of("JOBPOOL_PYTHON_POOL_SIZE", "2"));
        assertThat(unknown).extracting(UnknownSettings.Unknown::key)
                .containsExactlyInAnyOrder("jobpool.python.executable", "jobpool.python.pool.size");
        assertThat(unknown.stream().filter(u -> u.key().equals("jobpool.python.pool.size")).findFirst().orElseThrow().message())
                .contains("JOBPOOL_PYTHON_POOL_SIZE")
                .contains("is ignored: jobpool.python.tasks-dir is not set, so there is no Python pool for it to configure");
        assertThat(find(Map.of("jobpool.python.executable", "python3.12"),
                Map.of("JOBPOOL_PYTHON_POOL_SIZE", "2", "JOBPOOL_PYTHON_TASKS_DIR", "/srv/tasks"))).as("with a tasks directory").isEmpty();
    }

    @Test
    void aTaskSettingIsCheckedUnderAnyTaskName() {
        assertThat(find(Map.of("jobpool.tasks.sleep.max-concurency", "1"), Map.of()))
                .extracting(UnknownSettings.Unknown::suggestion).containsExactly("jobpool.tasks.<task>.max-concurrency");
    }

    @Test
    void noRealKeyIsReportedInAnyOfItsForms() {
        Map<String, Object> properties = new LinkedHashMap<>();
        for (String key : List.of("data-dir", "node-id", "pool.size", "pool.prefetch", "pool.max-tasks-per-worker",
                "pool.max-tasks-per-worker-jitter", "pool.max-worker-rss", "pool.worker-heap", "pool.worker-jvm-options",
                "pool.worker-jvm-options[0]", "pool.plugins-dir", "pool.initializer", "pool.initializer-args", "pool.worker-env[0]",
                "pool.kill-grace", "pool.kill-leftover-processes", "pool.retire-on-leftover-threads", "pool.boot-backoff-max",
                "pool.java-command", "jobs.default-timeout",
                "jobs.max-timeout", "jobs.max-payload-bytes", "jobs.max-request-bytes", "jobs.max-result-bytes", "jobs.max-log-bytes",
                "jobs.max-retries", "jobs.max-delay", "jobs.max-wait", "jobs.retry-backoff", "jobs.max-batch-items",
                "jobs.max-batch-request-bytes", "jobs.max-redeliveries", "jobs.lease", "cluster.poll-interval", "cluster.node-expiry",
                "queue.capacity", "results.ttl", "webhooks.secret", "webhooks.secondary-secret", "webhooks.retry-schedule",
                "webhooks.retry-schedule[0]", "webhooks.allow-private-targets", "webhooks.allowed-hosts", "webhooks.timeout",
                "webhooks.concurrency", "shutdown.grace", "tasks.diagnostics", "tasks.sleep.max-concurrency",
                "tasks.my-task.maxConcurrency", "python.executable", "python.tasks-dir", "python.pool.size",
                "python.pool.worker-memory-limit", "python.pool.max-tasks-per-worker-jitter", "python.pool.kill-leftover-processes",
                "python.pool.retire-on-leftover-threads",
                "security.api-keys[0].name", "security.api-keys[0].sha256", "security.api-keys[0].roles",
                "security.api-keys[1].roles[0]", "security.api-keys[1].roles[1]", "security.max-long-polls-per-key")) {
            properties.put("jobpool." + key, "x");
        }
        Map<String, Object> environment = new LinkedHashMap<>();
        for (String variable : List.of("JOBPOOL_POOL_SIZE", "JOBPOOL_DATA_DIR", "JOBPOOL_NODEID", "JOBPOOL_POOL_INITIALIZERARGS",
                "JOBPOOL_POOL_MAX_TASKS_PER_WORKER", "JOBPOOL_SECURITY_API_KEYS_0_SHA256", "JOBPOOL_SECURITY_APIKEYS_1_ROLES_0",
                "JOBPOOL_TASKS_SLEEP_MAXCONCURRENCY", "JOBPOOL_TASKS_MY_TASK_MAXCONCURRENCY", "JOBPOOL_WEBHOOKS_SECONDARYSECRET",
                "JOBPOOL_PYTHON_POOL_WORKER_MEMORY_LIMIT", "JOBPOOL_PYTHON_TASKS_DIR",
                // The Python client's variables, set in the same shell as the server.
                "JOBPOOL_URL", "JOBPOOL_API_KEY")) {
            environment.put(variable, "x");
        }

        assertThat(find(properties, environment)).isEmpty();
    }
}
