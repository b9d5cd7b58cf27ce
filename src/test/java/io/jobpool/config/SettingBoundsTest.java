package io.jobpool.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Tests that a setting out of its range stops the start with the key named, rather than a service
 * that starts and then refuses every request, fails every job or never becomes ready.
 */
class SettingBoundsTest {

    private static JobpoolProperties bind(Map<String, String> settings) {
        return new Binder(new MapConfigurationPropertySource(settings)).bindOrCreate("jobpool", JobpoolProperties.class);
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({
            "jobpool.pool.size, 0", "jobpool.pool.size, -1", "jobpool.pool.size, 1025", "jobpool.python.pool.size, 1025", "jobpool.pool.prefetch, -1", "jobpool.pool.max-tasks-per-worker, -1",
            "jobpool.pool.worker-heap, 1KB", "jobpool.pool.kill-grace, -1s", "jobpool.jobs.default-timeout, 0s",
            "jobpool.jobs.default-timeout, -5s", "jobpool.jobs.max-timeout, 0s", "jobpool.jobs.max-payload-bytes, -1",
            "jobpool.jobs.max-request-bytes, 0", "jobpool.jobs.max-result-bytes, -1", "jobpool.jobs.max-log-bytes, -1",
            "jobpool.jobs.max-retries, -1", "jobpool.jobs.max-delay, -1s", "jobpool.jobs.max-wait, -1s",
            "jobpool.jobs.max-redeliveries, -1", "jobpool.jobs.lease, 0s", "jobpool.jobs.lease, 999ms", "jobpool.jobs.retry-backoff, -1s",
            "jobpool.jobs.max-batch-items, 0", "jobpool.jobs.max-batch-request-bytes, 0", "jobpool.queue.capacity, 0",
            "jobpool.results.ttl, -1s", "jobpool.shutdown.grace, -1s", "jobpool.security.max-long-polls-per-key, 0",
            "jobpool.webhooks.timeout, 0s", "jobpool.webhooks.concurrency, 0", "jobpool.webhooks.retry-schedule, -5s",
            "jobpool.cluster.poll-interval, 0s", "jobpool.cluster.node-expiry, -1s", "jobpool.cluster.node-expiry, 29s", "jobpool.python.pool.size, -1",
            "jobpool.python.pool.worker-memory-limit, 1MB", "jobpool.pool.boot-backoff-max, 0s", "jobpool.python.pool.boot-backoff-max, 499ms"})
    void aSettingOutOfItsRangeStopsTheStartNamingTheKey(String key, String value) {
        assertThatThrownBy(() -> bind(Map.of(key, value)))
                .isInstanceOf(BindException.class)
                .rootCause().hasMessageContaining(key);
    }

    @Test
    void everyOffendingKeyOfEverySectionIsNamedInOneMessage() {
        assertThatThrownBy(() -> bind(Map.of("jobpool.jobs.max-retries", "-1", "jobpool.jobs.lease", "0s",
                "jobpool.pool.size", "0", "jobpool.queue.capacity", "-5", "jobpool.python.pool.initializer-args", "[1,")))
                .rootCause().hasMessageContaining("jobpool.jobs.max-retries is -1").hasMessageContaining("jobpool.jobs.lease is 0ms")
                .hasMessageContaining("jobpool.pool.size is 0").hasMessageContaining("jobpool.queue.capacity is -5")
                .hasMessageContaining("jobpool.python.pool.initializer-args is [1,; it is not JSON");
    }

    /** Workers would each fail to boot on them, forever, with readiness down: the start is refused instead. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"[1,|it is not JSON", "{\"a\":1}|it must be a JSON array", "3|it must be a JSON array"})
    void initializerArgumentsThatAreNoJsonArrayStopTheStart(String value, String message) {
        assertThatThrownBy(() -> bind(Map.of("jobpool.pool.initializer", "print", "jobpool.pool.initializer-args", value)))
                .isInstanceOf(BindException.class).rootCause().hasMessageContaining("jobpool.pool.initializer-args is")
                .hasMessageContaining(message);
        assertThat(bind(Map.of("jobpool.pool.initializer-args", "[\"warm\", 3]")).pool().initializerArgs()).isEqualTo("[\"warm\", 3]");
    }

    /** Named by its full key, for each pool: the server's secrets never reach task code. */
    @Test
    void aWorkerEnvNamingTheServersOwnConfigurationStopsTheStart() {
        assertThatThrownBy(() -> bind(Map.of("jobpool.pool.worker-env[0]", "JOBPOOL_WEBHOOKS_SECRET",
                "jobpool.python.pool.worker-env[0]", "spring_datasource_password")))
                .isInstanceOf(BindException.class).rootCause()
                .hasMessageContaining("jobpool.pool.worker-env names JOBPOOL_WEBHOOKS_SECRET, a variable of the server's own configuration")
                .hasMessageContaining("jobpool.python.pool.worker-env names spring_datasource_password");
        assertThat(bind(Map.of("jobpool.pool.worker-env[0]", "MY_TOKEN")).pool().workerEnv()).containsExactly("MY_TOKEN");
    }

    @Test
    void theDefaultsAndTheEdgesOfEachRangeAreAccepted() {
        JobpoolProperties defaults = bind(Map.of());
        assertThat(defaults.queue().capacity()).isEqualTo(100_000);
        JobpoolProperties edges = bind(Map.of("jobpool.pool.size", "1", "jobpool.pool.kill-grace", "0s", "jobpool.jobs.max-retries", "0",
                "jobpool.jobs.max-wait", "0s", "jobpool.queue.capacity", "1", "jobpool.python.pool.size", "0",
                "jobpool.pool.boot-backoff-max", "500ms"));
        assertThat(edges.pool().size()).isEqualTo(1);
        assertThat(edges.python().pool().size()).isZero();
    }

    /**
     * A duration without a unit is seconds, as the API's own durations ({@code timeoutSeconds},
     * {@code wait}) are: {@code JOBPOOL_JOBS_DEFAULT_TIMEOUT=300} is five minutes, not 0.3 s.
     */
    @Test
    void aDurationWithoutAUnitIsSeconds() {
        JobpoolProperties plain = bind(Map.of("jobpool.jobs.default-timeout", "300", "jobpool.shutdown.grace", "30",
                "jobpool.jobs.lease", "30", "jobpool.results.ttl", "604800", "jobpool.webhooks.retry-schedule", "0,5,60",
                "jobpool.cluster.node-expiry", "3600", "jobpool.python.pool.kill-grace", "2"));
        assertThat(plain.jobs().defaultTimeout()).isEqualTo(java.time.Duration.ofMinutes(5));
        assertThat(plain.shutdown().grace()).isEqualTo(java.time.Duration.ofSeconds(30));
        assertThat(plain.jobs().lease()).isEqualTo(java.time.Duration.ofSeconds(30));
        assertThat(plain.results().ttl()).isEqualTo(java.time.Duration.ofDays(7));
        assertThat(plain.webhooks().retrySchedule()).containsExactly(java.time.Duration.ZERO, java.time.Duration.ofSeconds(5),
                java.time.Duration.ofMinutes(1));
        assertThat(plain.cluster().nodeExpiry()).isEqualTo(java.time.Duration.ofHours(1));
        assertThat(plain.python().pool().killGrace()).isEqualTo(java.time.Duration.ofSeconds(2));
        JobpoolProperties units = bind(Map.of("jobpool.jobs.default-timeout", "1500ms", "jobpool.shutdown.grace", "PT1M"));
        assertThat(units.jobs().defaultTimeout()).as("a unit still says what it says").isEqualTo(java.time.Duration.ofMillis(1500));
        assertThat(units.shutdown().grace()).isEqualTo(java.time.Duration.ofMinutes(1));
    }

    @Test
    void aNodeExpiryShorterThanTheLeaseIsRefusedNamingTheLease() {
        assertThatThrownBy(() -> bind(Map.of("jobpool.jobs.lease", "2h")))
                .rootCause().hasMessageContaining("jobpool.cluster.node-expiry is 1h; it must be at least jobpool.jobs.lease (2h)");
    }

    /** Spring Boot refuses a list of plain values with a gap; the refusal names the setting as documented and says why. */
    @Test
    void aGapInAListOfValuesIsRefusedInTheTermsOfTheSetting() {
        Throwable refused = org.assertj.core.api.Assertions.catchThrowable(() -> bind(Map.of(
                "jobpool.webhooks.allowedhosts[0]", "a.example", "jobpool.webhooks.allowedhosts[2]", "c.example")));
        org.springframework.boot.diagnostics.FailureAnalysis analysis = new StartRefusedException.ListGapAnalyzer().analyze(refused);
        assertThat(analysis).isNotNull();
        assertThat(analysis.getDescription()).isEqualTo("jobpool.webhooks.allowed-hosts[2] cannot be read: jobpool.webhooks.allowed-hosts"
                + " has a gap in its numbering, and a list is read up to its first missing index");
        assertThat(analysis.getAction()).startsWith("Number the entries of jobpool.webhooks.allowed-hosts from 0 without gaps");
    }

    @Test
    void aTaskCapThatIsNotANumberStopsTheStart() {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("test",
                Map.of("jobpool.tasks.sleep.max-concurrency", "abc", "jobpool.tasks.diagnostics", "true")));
        assertThatThrownBy(() -> JobpoolProperties.TaskSettings.bind(environment))
                .hasMessage("jobpool.tasks.sleep.max-concurrency is 'abc'; it must be a whole number of jobs");
        environment.getPropertySources().addFirst(new MapPropertySource("fixed", Map.of("jobpool.tasks.sleep.max-concurrency", "2")));
        assertThat(JobpoolProperties.TaskSettings.bind(environment).get("sleep").maxConcurrency()).isEqualTo(2);
    }

    /** Task caps are bound after the other settings: a start stopped by another one names them in the same refusal. */
    @Test
    void aStartStoppedByAnotherSettingNamesTheFaultyTaskCapsToo() {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().addFirst(new MapPropertySource("test", Map.of("jobpool.pool.size", "0",
                "jobpool.tasks.sleep.max-concurrency", "abc", "jobpool.tasks.print.max-concurrency", "0",
                "jobpool.tasks.square.max-concurrency", "2")));
        Throwable refused = org.assertj.core.api.Assertions.catchThrowable(
                () -> org.springframework.boot.context.properties.bind.Binder.get(environment).bindOrCreate("jobpool", JobpoolProperties.class));
        org.springframework.boot.diagnostics.FailureAnalysis analysis = new StartRefusedException.SettingAnalyzer(environment).analyze(refused);
        assertThat(analysis.getDescription()).contains("jobpool.pool.size is 0; it must be 1 to 1024",
                "jobpool.tasks.sleep.max-concurrency is 'abc'; it must be a whole number of jobs",
                "jobpool.tasks.print.max-concurrency is 0; it must be at least 1").doesNotContain("square");
        assertThat(analysis.getAction()).startsWith("Change the settings named above");
        assertThatThrownBy(() -> JobpoolProperties.TaskSettings.bind(environment)).as("both caps, alone too")
                .hasMessageContaining("jobpool.tasks.sleep.max-concurrency is 'abc'")
                .hasMessageContaining("jobpool.tasks.print.max-concurrency is 0");
    }

    /**
     * Python tasks are named in snake_case, and containers are configured by their environment:
     * a variable capping {@code slow_sq} caps {@code slow_sq}, at the environment's precedence.
     */
    @Test
    void aTaskCapFromTheEnvironmentAppliesToATaskNamedWithUnderscores() {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                new org.springframework.core.env.SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                        Map.of("JOBPOOL_TASKS_SLOW_SQ_MAXCONCURRENCY", "1", "JOBPOOL_TASKS_RESIZE_IMAGE_MAX_CONCURRENCY", "2",
                                "JOBPOOL_TASKS_SLEEP_MAXCONCURRENCY", "3", "JOBPOOL_TASKS_A_MAX_MAXCONCURRENCY", "4")));
        environment.getPropertySources().addLast(new MapPropertySource("application.yaml",
                Map.of("jobpool.tasks.slow_sq.max-concurrency", "9", "jobpool.tasks.print.max-concurrency", "5")));

        Map<String, JobpoolProperties.TaskSettings> tasks = JobpoolProperties.TaskSettings.bind(environment);
        assertThat(tasks).hasEntrySatisfying("slow_sq", t -> assertThat(t.maxConcurrency()).as("the environment over a file").isEqualTo(1))
                .hasEntrySatisfying("resize_image", t -> assertThat(t.maxConcurrency()).isEqualTo(2))
                .hasEntrySatisfying("sleep", t -> assertThat(t.maxConcurrency()).isEqualTo(3))
                .hasEntrySatisfying("a_max", t -> assertThat(t.maxConcurrency()).isEqualTo(4))
                .hasEntrySatisfying("print", t -> assertThat(t.maxConcurrency()).isEqualTo(5));

        environment.getPropertySources().addFirst(new MapPropertySource("commandLineArgs", Map.of("jobpool.tasks.slow_sq.max-concurrency", "7")));
        assertThat(JobpoolProperties.TaskSettings.bind(environment).get("slow_sq").maxConcurrency()).as("an argument over the environment")
                .isEqualTo(7);

        environment.getPropertySources().replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                new org.springframework.core.env.SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                        Map.of("JOBPOOL_TASKS_RESIZE_IMAGE_MAXCONCURRENCY", "two")));
        assertThatThrownBy(() -> JobpoolProperties.TaskSettings.bind(environment))
                .hasMessage("jobpool.tasks.resize_image.max-concurrency is 'two'; it must be a whole number of jobs");
    }

    /** A faulty key list is refused as it is bound, every offending key named, never a hash. */
    @Test
    void everyFaultyApiKeyIsNamedInOneMessage() {
        String good = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        Map<String, String> settings = new java.util.HashMap<>();
        String[][] keys = {{"ta", "abc", "submit"}, {"tb", "def", "read"}, {"tc", good, "reed"}, {"ta", good.toUpperCase(java.util.Locale.ROOT), ""},
                {"td", good.substring(1), "admin"}, {"te", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "admin"},
                {"tf", "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b", "read"}};
        for (int i = 0; i < keys.length; i++) {
            settings.put("jobpool.security.api-keys[" + i + "].name", keys[i][0]);
            settings.put("jobpool.security.api-keys[" + i + "].sha256", keys[i][1]);
            settings.put("jobpool.security.api-keys[" + i + "].roles", keys[i][2]);
        }
        assertThatThrownBy(() -> bind(settings)).isInstanceOf(BindException.class).rootCause()
                .hasMessageContaining("jobpool.security.api-keys[0].sha256 (key 'ta') must be the 64 hex digits")
                .hasMessageContaining("jobpool.security.api-keys[1].sha256 (key 'tb') must be the 64 hex digits")
                .hasMessageContaining("jobpool.security.api-keys[2].roles (key 'tc') has 'reed'")
                .hasMessageContaining("jobpool.security.api-keys[3].name 'ta' is used by two keys")
                .hasMessageContaining("jobpool.security.api-keys[3].sha256 (key 'ta') is the hash of another key too")
                .hasMessageContaining("jobpool.security.api-keys[3].roles (key 'ta') must name at least one")
                .hasMessageContaining("jobpool.security.api-keys[4].sha256 (key 'td') must be the 64 hex digits")
                .hasMessageContaining("jobpool.security.api-keys[5].sha256 (key 'te') is the SHA-256 of an empty key")
                .hasMessageContaining("jobpool.security.api-keys[6].sha256 (key 'tf') is the SHA-256 of an empty key")
                .hasMessageNotContaining(good.substring(8)).hasMessageNotContaining(good.substring(8).toUpperCase(java.util.Locale.ROOT));
    }
}
