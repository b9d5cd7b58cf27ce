package io.jobpool.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** Tests for {@link WorkerPool} with real worker processes: recycling, memory bound, initializer, boot failure. */
class WorkerPoolTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void recyclesAWorkerAfterMaxTasksPerWorker() throws Exception {
        try (PoolHarness harness = new PoolHarness(1, 2, 0, null, List.of())) {
            List<Long> pids = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                JobOutcome outcome = harness.run("job-" + i, "square", "[" + i + "]", TIMEOUT);
                assertThat(outcome).isInstanceOf(JobOutcome.Succeeded.class);
                pids.add(outcome.pid());
            }
            assertThat(pids.get(0)).isEqualTo(pids.get(1));
            assertThat(pids.get(2)).isEqualTo(pids.get(3)).isNotEqualTo(pids.get(0));
            // The old worker's exit, which counts the restart, may be seen after its replacement ran the next job.
            Await.until("the recycled restart counted", TIMEOUT, () -> harness.restarts.contains("recycled"));
        }
    }

    @Test
    void prefetchClaimsAheadAndRunsTheBacklogInOrderOnTheFreeWorker() throws Exception {
        try (PoolHarness harness = new PoolHarness(1, 2, 0, 0, null, List.of())) {
            Await.until("one worker idle and two prefetch places", TIMEOUT, () -> harness.pool.slots().availablePermits() == 3);
            for (int i = 0; i < 3; i++) {
                assertThat(harness.pool.slots().tryAcquire()).isTrue();
                harness.pool.submit(new Assignment("p" + i, "square", "[" + i + "]", "{}", 1, TIMEOUT));
            }
            List<String> order = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                JobOutcome outcome = harness.outcomes.poll(30, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(outcome).isInstanceOf(JobOutcome.Succeeded.class);
                order.add(outcome.jobId());
            }
            assertThat(order).containsExactly("p0", "p1", "p2");
            Await.until("the places free again", TIMEOUT, () -> harness.pool.slots().availablePermits() == 3);
        }
    }

    /** A cancelled job that waited in the backlog gives its place back: each such cancel shrank the node's claims for good. */
    @Test
    void aCancelledBacklogJobGivesItsPlaceBack() throws Exception {
        try (PoolHarness harness = new PoolHarness(1, 2, 0, 0, null, List.of())) {
            Await.until("one worker idle and two prefetch places", TIMEOUT, () -> harness.pool.slots().availablePermits() == 3);
            for (int i = 0; i < 3; i++) {
                assertThat(harness.pool.slots().tryAcquire()).isTrue();
            }
            harness.pool.submit(new Assignment("busy", "sleep", "[30]", "{}", 1, TIMEOUT));
            harness.pool.submit(new Assignment("waiting-1", "square", "[1]", "{}", 1, TIMEOUT));
            harness.pool.submit(new Assignment("waiting-2", "square", "[2]", "{}", 1, TIMEOUT));
            assertThat(harness.pool.cancel("waiting-1").get()).isTrue();
            assertThat(harness.pool.cancel("waiting-2").get()).isTrue();
            assertThat(harness.pool.slots().availablePermits()).as("both backlog places free again").isEqualTo(2);
            assertThat(harness.pool.cancel("busy").get()).isTrue();
            Await.until("every place free once the worker is back", TIMEOUT, () -> harness.pool.slots().availablePermits() == 3);
        }
    }

    /** A pool resized past what boots at once grows a few workers at a time, and shrinks again on the next resize. */
    @Test
    void aLargeResizeBootsAFewWorkersAtATime() throws Exception {
        try (PoolHarness harness = new PoolHarness(1, 0, 0, null, List.of())) {
            Await.until("one worker ready", TIMEOUT, () -> harness.pool.snapshot().count(WorkerState.IDLE) == 1);
            int target = WorkerPool.MAX_BOOTING + 4;
            harness.pool.resize(target);
            long mostBooting = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (harness.pool.snapshot().count(WorkerState.IDLE) < target) {
                assertThat(System.nanoTime() - deadline).as("%d workers ready within 120 s", target).isNegative();
                mostBooting = Math.max(mostBooting, harness.pool.snapshot().count(WorkerState.STARTING));
                Thread.sleep(2);
            }
            assertThat(mostBooting).as("workers booting at once").isBetween(1L, (long) WorkerPool.MAX_BOOTING);
            harness.pool.resize(1);
            Await.until("the pool back to one worker", TIMEOUT, () -> harness.pool.snapshot().workers().size() == 1);
            assertThat(harness.run("after", "square", "[4]", TIMEOUT)).isInstanceOf(JobOutcome.Succeeded.class);
        }
    }

    @Test
    void recyclesAWorkerWhoseMemoryPassedTheBound() throws Exception {
        try (PoolHarness harness = new PoolHarness(1, 0, 1024, null, List.of())) {
            long first = harness.run("a", "echo", "[]", TIMEOUT).pid();
            long second = harness.run("b", "echo", "[]", TIMEOUT).pid();
            assertThat(second).isNotEqualTo(first);
            // The old worker's exit, which counts the restart, may be seen after its replacement ran the next job.
            Await.until("the memory restart counted", TIMEOUT, () -> harness.restarts.contains("memory"));
        }
    }

    @Test
    void everyWorkerRunsTheInitializerBeforeTakingJobs() throws Exception {
        try (PoolHarness harness = new PoolHarness(2, 0, 0, "sleep", List.of())) {
            assertThat(harness.run("a", "square", "[3]", TIMEOUT)).isInstanceOf(JobOutcome.Succeeded.class);
            Await.until("both workers ready", TIMEOUT, () -> harness.pool.snapshot().count(WorkerState.IDLE) == 2);
            assertThat(harness.pool.snapshot().bootError()).isNull();
        }
    }

    /** Readiness rests on this: a pool whose worker was ready once is one replacing workers, not one failing to keep any. */
    @Test
    void aPoolKnowsItsWorkersBootedOnceTheFirstIsReady() throws Exception {
        try (PoolHarness harness = new PoolHarness(1, 0, 0, null, List.of())) {
            assertThat(harness.pool.snapshot().everReady()).as("no worker ready yet").isFalse();
            assertThat(harness.pool.snapshot().keepsWorkersAlive()).isFalse();
            JobOutcome timedOut = harness.run("slow", "sleep", "[30]", Duration.ofMillis(300));
            assertThat(timedOut).isInstanceOfSatisfying(JobOutcome.Failed.class, f -> assertThat(f.type()).isEqualTo("TimeoutError"));
            assertThat(harness.pool.snapshot().everReady()).isTrue();
            Await.until("the replacement ready", TIMEOUT, () -> harness.pool.snapshot().hasLiveWorker());
        }
    }

    @Test
    void aFailingInitializerIsABootFailureThatBacksOffInsteadOfLooping() throws Exception {
        // One worker, so its boot failures come one after another: with two, both first attempts fail
        // at once and the back-off between the first and the third failure is only the second's (1 s).
        try (PoolHarness harness = new PoolHarness(1, 0, 0, "fail", List.of())) {
            PoolSnapshot failing = Await.until("boot error reported", TIMEOUT, harness.pool::snapshot, s -> s.bootError() != null);
            assertThat(failing.bootError()).contains("could not boot").contains("TaskFailedException");
            assertThat(failing.hasLiveWorker()).isFalse();
            assertThat(failing.keepsWorkersAlive()).isFalse();
            Await.until("three boot failures", TIMEOUT, () -> harness.bootFailureNanos.size() >= 3);
            // Back-off doubles from 0.5 s: the third attempt starts at least 0.5 + 1 s after the first
            // failed. A hot loop would fail three times within a second.
            long firstToThird = harness.bootFailureNanos.get(2) - harness.bootFailureNanos.get(0);
            assertThat(Duration.ofNanos(firstToThird)).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
        }
    }

    /** A pool of several whose boots fail retries one worker at a time, each after its back-off, not one per supervisor round. */
    @Test
    void bootRetriesOfALargerPoolComeOneAtATime() throws Exception {
        try (PoolHarness harness = new PoolHarness(3, 0, 0, "fail", List.of())) {
            Await.until("the first three boots failed", TIMEOUT, () -> harness.bootFailureNanos.size() >= 3);
            long mostBooting = 0;
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (harness.bootFailureNanos.size() < 6) {
                assertThat(System.nanoTime() - deadline).as("six boot failures within %s", TIMEOUT).isNegative();
                mostBooting = Math.max(mostBooting, harness.pool.snapshot().count(WorkerState.STARTING));
                Thread.sleep(2);
            }
            assertThat(mostBooting).as("workers booting at once while boots fail").isEqualTo(1);
            for (int i = 4; i < 6; i++) {
                assertThat(Duration.ofNanos(harness.bootFailureNanos.get(i) - harness.bootFailureNanos.get(i - 1)))
                        .as("failure %d after the one before: at least the 0.5 s back-off", i + 1).isGreaterThanOrEqualTo(Duration.ofMillis(500));
            }
        }
    }

    /**
     * A hanging initializer: the pool says the worker is still booting (readiness is down and says
     * why), then past the boot timeout reports a boot failure that names it and stops the worker the
     * documented way, SIGTERM first: the JVM exits on it with 143, where a SIGKILL gives 137.
     */
    @Test
    @ExtendWith(OutputCaptureExtension.class)
    void aWorkerNotReadyWithinTheBootTimeoutIsReportedAndStoppedWithSigtermFirst(CapturedOutput output) throws Exception {
        try (PoolHarness harness = new PoolHarness(1, 0, 0, 0, "hang", List.of(), true, null, Duration.ofSeconds(3))) {
            PoolSnapshot booting = Await.until("still booting reported", TIMEOUT, harness.pool::snapshot, s -> s.bootStatus() != null);
            assertThat(booting.bootError()).as("not a failure yet").isNull();
            assertThat(booting.bootStatus()).contains("still booting or running the initializer 'hang'").contains("within 3 s");
            long pid = booting.workers().getFirst().pid();

            PoolSnapshot failed = Await.until("boot timeout reported", TIMEOUT, harness.pool::snapshot, s -> s.bootError() != null);
            assertThat(failed.bootError()).contains("was not ready within 3 s").contains("initializer 'hang'")
                    .doesNotContain("out of memory").doesNotContain("SIGKILL");
            Await.until("the worker stopped", TIMEOUT, () -> output.getOut().contains("pid " + pid + ") stopped (not ready within 3 s)"));
            assertThat(output.getOut()).contains("pid " + pid + ") stopped (not ready within 3 s), exited with code 143");
            assertThat(harness.restarts).contains("boot_failure");
        }
    }

    @Test
    void aBadJvmOptionIsABootFailureReportedByThePool() throws Exception {
        try (PoolHarness harness = new PoolHarness(1, 0, 0, null, List.of("-XX:+NoSuchJvmOptionAtAll"))) {
            PoolSnapshot failing = Await.until("boot error reported", TIMEOUT, harness.pool::snapshot, s -> s.bootError() != null);
            assertThat(failing.bootError()).contains("before it was ready").contains("NoSuchJvmOptionAtAll");
        }
    }

    @Test
    void shutdownInterruptsRunningJobsAfterTheGraceAndStopsEveryWorker() throws Exception {
        PoolHarness harness = new PoolHarness(1, 0, 0, null, List.of());
        harness.pool.slots().acquire();
        harness.pool.submit(new Assignment("long", "sleep", "[30]", "{}", 1, TIMEOUT));
        Long pid = Await.until("job running", TIMEOUT, () -> harness.pidOf("long"), p -> p != null);
        harness.close();
        assertThat(harness.outcomes.poll()).isInstanceOf(JobOutcome.Interrupted.class);
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(harness.pool.snapshot().workers()).isEmpty();
    }
}
