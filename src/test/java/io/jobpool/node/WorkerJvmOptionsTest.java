package io.jobpool.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.config.JobpoolProperties;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

/** Tests the JVM options a worker starts with, as {@code jobpool.pool.worker-jvm-options} adds to them. */
class WorkerJvmOptionsTest {

    @Test
    void optionsGivenInOneStringAsInJavaOptsAreEachAnOptionAfterTheDefaults() {
        JobpoolProperties.Pool pool = new JobpoolProperties.Pool(null, 0, 0, 0, null, DataSize.ofMegabytes(64),
                List.of(" -Xss1m   -Dregion=eu ", "-Dz=1"), null, null, "[]", Duration.ofSeconds(2), Duration.ofSeconds(60), null,
                List.of(), true, true);
        List<String> options = NodeConfiguration.workerJvmOptions(pool);
        assertThat(options).startsWith("-Xmx64m").endsWith("-Xss1m", "-Dregion=eu", "-Dz=1");
        assertThat(options.indexOf("-Xss1m")).as("after the default, so it wins").isGreaterThan(options.indexOf("-Xss512k"));
    }
}
