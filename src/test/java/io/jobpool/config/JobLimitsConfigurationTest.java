package io.jobpool.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.job.JobLimits;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The timeouts a submission that names none gets, from the settings an operator writes. */
class JobLimitsConfigurationTest {

    @Test
    void aMaximumBelowTheDefaultLowersTheDefaultInsteadOfRefusingEverySubmission() {
        JobLimits limits = limits(Map.of("jobpool.jobs.max-timeout", "60s"));
        assertThat(limits.maxTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(limits.defaultTimeout()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void aDefaultWithinTheMaximumIsKept() {
        assertThat(limits(Map.of()).defaultTimeout()).isEqualTo(Duration.ofSeconds(300));
        JobLimits limits = limits(Map.of("jobpool.jobs.max-timeout", "60s", "jobpool.jobs.default-timeout", "40s"));
        assertThat(limits.defaultTimeout()).isEqualTo(Duration.ofSeconds(40));
        assertThat(limits.maxTimeout()).isEqualTo(Duration.ofSeconds(60));
    }

    private static JobLimits limits(Map<String, String> settings) {
        JobpoolProperties properties = new Binder(new MapConfigurationPropertySource(settings))
                .bindOrCreate("jobpool", JobpoolProperties.class);
        return new JobpoolConfiguration().jobLimits(properties);
    }
}
