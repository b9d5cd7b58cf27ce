package io.jobpool.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Tests for the warning about a {@code max-concurrency} cap that names no task the workers registered. */
class CapsOnNoTaskTest {

    @Test
    void aCapOnANameNoWorkerRegistersIsSaidAndACapOnARegisteredTaskIsNot() {
        List<String> said = PoolLifecycle.capsOnNoTask(Set.of("sleep", "Sleep", "slow-sq"), Set.of("sleep", "echo", "slow_sq"));
        assertThat(said).hasSize(2);
        assertThat(said.get(0)).startsWith("jobpool.tasks.Sleep.max-concurrency caps a task no worker of this replica registers"
                + " (its tasks: [echo, sleep, slow_sq])").contains("environment variable");
        assertThat(said.get(1)).startsWith("jobpool.tasks.slow-sq.max-concurrency caps a task no worker");
        assertThat(PoolLifecycle.capsOnNoTask(Set.of("sleep"), Set.of("sleep", "echo"))).isEmpty();
    }
}
