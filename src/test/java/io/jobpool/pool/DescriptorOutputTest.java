package io.jobpool.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.TestPlugin;
import io.jobpool.testing.plugin.InheritIoChild;
import io.jobpool.testing.plugin.LeftoverChatter;
import io.jobpool.testing.plugin.LeftoverPrinter;
import io.jobpool.testing.plugin.StandardStreamsTamperer;
import io.jobpool.testing.plugin.StrayFlood;
import io.jobpool.testing.Await;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import io.jobpool.testing.plugin.RawDescriptorOutput;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests, with a real worker, that what a task writes to descriptors 1 and 2 themselves (native
 * code, {@code FileDescriptor.out}, a child process started with {@code inheritIO()}) is the job's
 * log and never lands in the protocol: the server read it as a frame length and the job hung until
 * its timeout, or the worker was killed for breaking the protocol.
 */
class DescriptorOutputTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path plugins;

    @Test
    void writesToTheRealDescriptorsAreTheJobsLogAndTheWorkerGoesOn() throws Exception {
        TestPlugin.jar(plugins, RawDescriptorOutput.class, InheritIoChild.class);
        try (PoolHarness harness = new PoolHarness(1, 0, 0, 0, null, List.of(), true, plugins, PoolSettings.BOOT_TIMEOUT)) {
            JobOutcome raw = harness.run("raw", "test-raw-descriptors", "[]", TIMEOUT);
            assertThat(raw).isInstanceOfSatisfying(JobOutcome.Succeeded.class, done -> {
                assertThat(done.result()).isEqualTo("\"raw-done\"");
                assertThat(done.logs()).as("System.out, descriptors 1 and 2 and System.err, in the order written")
                        .isEqualTo("before the raw writes\nfrom-fd1\nfrom-fd2\nafter the raw writes\n");
            });

            JobOutcome child = harness.run("child", "test-inherit-io", "[]", TIMEOUT);
            assertThat(child).isInstanceOfSatisfying(JobOutcome.Succeeded.class, done -> {
                assertThat(done.result()).as("the child's exit code").isEqualTo("0");
                assertThat(done.logs()).contains("from-child\n").contains("from-child-stderr\n")
                        .as("output without a final newline, read before the result is given").endsWith("no-newline-at-end");
            });

            JobOutcome next = harness.run("next", "square", "[7]", TIMEOUT);
            assertThat(next).isInstanceOfSatisfying(JobOutcome.Succeeded.class, done -> {
                assertThat(done.result()).isEqualTo("49");
                assertThat(done.logs()).as("nothing of the earlier jobs").isEmpty();
            });
            assertThat(List.of(raw.pid(), child.pid(), next.pid())).as("one worker ran all three").containsOnly(raw.pid());
            assertThat(harness.restarts).isEmpty();
        }
    }

    @Test
    void aTaskThatClosedOrReplacedTheStandardStreamsLeavesTheNextJobsLogWhole() throws Exception {
        TestPlugin.jar(plugins, StandardStreamsTamperer.class, InheritIoChild.class);
        try (PoolHarness harness = new PoolHarness(1, 0, 0, 0, null, List.of(), true, plugins, PoolSettings.BOOT_TIMEOUT)) {
            JobOutcome tampered = harness.run("tamper", "test-tamper-streams", "[]", TIMEOUT);
            assertThat(tampered).isInstanceOfSatisfying(JobOutcome.Succeeded.class,
                    done -> assertThat(done.logs()).isEqualTo("before the close\n"));
            JobOutcome next = harness.run("next", "print", "[\"still logged\"]", TIMEOUT);
            assertThat(next).isInstanceOfSatisfying(JobOutcome.Succeeded.class, done -> assertThat(done.logs())
                    .as("System.out and System.err are the worker's again").isEqualTo("still logged\nstderr: still logged\n"));
            assertThat(next.pid()).as("on the same worker").isEqualTo(tampered.pid());
            assertThat(harness.restarts).isEmpty();
        }
    }

    /**
     * A process the job left behind writes when it is killed after the job's end: that is the
     * worker's own output, logged by the server, never the next job's (it was glued to the next
     * job's first line, maybe another client's).
     */
    @Test
    void whatALeftoverWritesAfterItsJobEndedIsInNoJobsLog() throws Exception {
        TestPlugin.jar(plugins, LeftoverChatter.class, InheritIoChild.class);
        try (PoolHarness harness = new PoolHarness(1, 0, 0, 0, null, List.of(), true, plugins, PoolSettings.BOOT_TIMEOUT)) {
            JobOutcome chatter = harness.run("chatter", "test-leftover-chatter", "[]", TIMEOUT);
            assertThat(chatter).isInstanceOfSatisfying(JobOutcome.Succeeded.class, done ->
                    assertThat(done.logs()).startsWith("child-started\n").contains("left running; terminating").doesNotContain("leftover-was-here"));

            JobOutcome next = harness.run("next", "test-inherit-io", "[]", TIMEOUT);
            assertThat(next).isInstanceOfSatisfying(JobOutcome.Succeeded.class, done ->
                    assertThat(done.logs()).isEqualTo("from-child\nfrom-child-stderr\nno-newline-at-end"));
            assertThat(next.pid()).isEqualTo(chatter.pid());
        }
    }

    /**
     * A thread a task left running would print into whichever job the worker runs next, maybe
     * another client's: the worker runs no other job, the pool replaces it.
     */
    @Test
    void aWorkerWhoseTaskLeftAThreadRunningRunsNoOtherJob() throws Exception {
        TestPlugin.jar(plugins, LeftoverPrinter.class, InheritIoChild.class);
        try (PoolHarness harness = new PoolHarness(1, 0, 0, 0, null, List.of(), true, plugins, PoolSettings.BOOT_TIMEOUT)) {
            JobOutcome printer = harness.run("printer", "test-leftover-printer", "[]", TIMEOUT);
            assertThat(printer).isInstanceOf(JobOutcome.Succeeded.class);
            JobOutcome next = harness.run("next", "sleep", "[0.3]", TIMEOUT);
            assertThat(next).isInstanceOfSatisfying(JobOutcome.Succeeded.class, done ->
                    assertThat(done.logs()).as("nothing the earlier job's thread printed").doesNotContain("left-behind"));
            assertThat(next.pid()).as("another worker").isNotEqualTo(printer.pid());
            assertThat(harness.restarts).containsExactly("threads");
            io.jobpool.testing.OsProcesses.awaitGone(printer.pid(), TIMEOUT);
        }
    }

    /** With {@code pool.retire-on-leftover-threads=false} the worker goes on, the thread's output and all. */
    @Test
    void withRetirementOffTheWorkerWhoseTaskLeftAThreadGoesOn() throws Exception {
        TestPlugin.jar(plugins, LeftoverPrinter.class, InheritIoChild.class);
        try (PoolHarness harness = new PoolHarness(1, 0, 0, 0, null, List.of(), true, false, plugins, PoolSettings.BOOT_TIMEOUT)) {
            JobOutcome printer = harness.run("printer", "test-leftover-printer", "[]", TIMEOUT);
            JobOutcome next = harness.run("next", "sleep", "[0.3]", TIMEOUT);
            assertThat(next.pid()).as("the same worker").isEqualTo(printer.pid());
            assertThat(next).isInstanceOfSatisfying(JobOutcome.Succeeded.class, done ->
                    assertThat(done.logs()).as("what the earlier job's thread printed meanwhile").contains("left-behind"));
            assertThat(harness.restarts).isEmpty();
        }
    }

    /**
     * What a worker writes outside any job goes to the server's log, which a flood (a thread or a
     * process a job left behind) must not fill: 64 KiB of it between two jobs, then one line saying
     * the rest is not logged. The next job's output is its own again.
     */
    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void aFloodOutsideAnyJobIsLoggedOnlyInPart(CapturedOutput output) throws Exception {
        TestPlugin.jar(plugins, StrayFlood.class, InheritIoChild.class);
        try (PoolHarness harness = new PoolHarness(1, 0, 0, 0, null, List.of(), false, plugins, PoolSettings.BOOT_TIMEOUT)) {
            Path flooded = plugins.resolve("flood-done");
            JobOutcome flood = harness.run("flood", "test-stray-flood", "[\"" + flooded + "\"]", TIMEOUT);
            assertThat(flood).isInstanceOf(JobOutcome.Succeeded.class);
            // A thread a task leaves behind writes into whichever job runs next: the next one waits for its end.
            Await.until("the flood printed", TIMEOUT, () -> java.nio.file.Files.exists(flooded));
            Await.until("the flood cut off in the server's log", TIMEOUT,
                    () -> output.getOut().contains("outside any job; the rest is not logged until its next job begins"));
            JobOutcome next = harness.run("next", "test-inherit-io", "[]", TIMEOUT);
            assertThat(next).isInstanceOfSatisfying(JobOutcome.Succeeded.class, done ->
                    assertThat(done.logs()).isEqualTo("from-child\nfrom-child-stderr\nno-newline-at-end"));
            long logged = output.getOut().lines().filter(line -> line.contains("xxxxxxxxxx")).count();
            assertThat(logged).as("lines of the flood in the server's log").isGreaterThan(0).isLessThanOrEqualTo(700);
        }
    }
}
