package io.jobpool.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.process.ProcessTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Tests how {@link TreeKill} chases processes that appear while it kills, with a scan of made-up
 * processes: their pids are above any {@code pid_max}, so no signal ever reaches a real process
 * and each counts as exited as soon as it is signalled.
 */
class TreeKillTest {

    private static final long FAR = System.nanoTime() + TimeUnit.HOURS.toNanos(1);

    private final AtomicLong nextPid = new AtomicLong(1_000_000_000L);
    private final List<List<ProcessTable.Entry>> reported = new ArrayList<>();
    private final List<Boolean> reportedForced = new ArrayList<>();

    private ProcessTable.Entry made() {
        return new ProcessTable.Entry(nextPid.getAndIncrement(), "sleep", 'S', 1, 1, 1, 42);
    }

    private void found(List<ProcessTable.Entry> processes, boolean forced) {
        reported.add(processes);
        reportedForced.add(forced);
    }

    @Test
    void aProcessThatAppearsAfterTheSignalledOnesExitedIsSignalledAndReportedBeforeTheKillIsFinished() {
        ProcessTable.Entry child = made();
        List<List<ProcessTable.Entry>> scans = new ArrayList<>(List.of(List.of(child), List.of()));
        TreeKill kill = TreeKill.start(() -> scans.isEmpty() ? List.of() : scans.removeFirst(), List.of(made()), FAR, this::found);

        assertThat(kill.finished()).as("a rescan found the child").isFalse();
        assertThat(reported).containsExactly(List.of(child));
        assertThat(reportedForced).containsExactly(false);
        assertThat(kill.finished()).as("the next rescan is empty").isTrue();
        assertThat(kill.due(System.nanoTime())).isFalse();
    }

    @Test
    void somethingThatForksAsFastAsItIsKilledIsEscalatedAndThenGivenUpOnWithinBoundedRounds() {
        TreeKill kill = TreeKill.start(() -> List.of(made()), List.of(made()), FAR, this::found);

        int calls = 0;
        while (!kill.due(System.nanoTime())) {
            assertThat(kill.finished()).isFalse();
            calls++;
        }
        assertThat(kill.forced()).isFalse();
        assertThat(calls).as("rescans before SIGKILL, however far the grace").isEqualTo(TreeKill.MAX_ROUNDS);

        kill.force(Duration.ofHours(1));
        assertThat(reportedForced.getLast()).as("what force() found").isTrue();
        while (!kill.due(System.nanoTime())) {
            assertThat(kill.finished()).isFalse();
            calls++;
        }
        assertThat(kill.forced()).isTrue();
        assertThat(calls).as("rescans in all before the caller gives up").isLessThan(2 * TreeKill.MAX_ROUNDS);
        assertThat(kill.running()).as("what is left, for the log").isNotEmpty();
    }

    @Test
    void aKillWhoseGraceIsOverIsForcedAtOnce() {
        TreeKill kill = TreeKill.start(List::of, List.of(made()), System.nanoTime() - 1, this::found);

        assertThat(kill.forced()).isTrue();
        assertThat(kill.finished()).isTrue();
        assertThat(reported).isEmpty();
    }
}
