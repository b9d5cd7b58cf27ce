package io.jobpool.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ServiceTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * A started server is not dumpable, so task code running as its user cannot read its environment
 * (secrets included) or memory under {@code /proc/<server pid>}; its workers still run tasks and
 * report their memory, which the pool reads under theirs.
 */
@EnabledOnOs(OS.LINUX)
class ServerPrivacyTest extends ServiceTest {

    @Test
    void theServerIsNotDumpableWhileItsWorkersRunTasks() throws Throwable {
        assertThat(ServerPrivacy.dumpable()).as("the server process, once its pool is up").isFalse();
        assertThat(api.run("{\"task\":\"square\",\"args\":[7]}", 20).get("result").asInt()).isEqualTo(49);
        assertThat(api.get("/v1/pool").json().get("workers").findValues("rssBytes"))
                .as("worker memory, read under each worker's /proc").isNotEmpty().allSatisfy(rss -> assertThat(rss.asLong()).isPositive());
    }
}
