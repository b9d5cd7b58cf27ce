package io.jobpool.pool;

import io.jobpool.process.ProcessTable;
import io.jobpool.process.ProcessTree;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A two-stage kill of processes of one worker's tree that the pool waits for without blocking its
 * supervisor: SIGTERM now; if any is still running when the grace is over, a fresh scan of the tree
 * and SIGKILL to all of it. Supervisor thread only.
 *
 * <p>Why it scans again once the signalled processes are gone, rather than calling it done: a scan
 * is a snapshot, and a process of the tree may fork between the scan and its signal (a shell that
 * runs {@code sleep 60 &} at that moment) or in answer to the signal (an exit trap that starts a
 * cleanup). The signalled ones exit quickly, their child does not, and without another look it
 * outlived its job and was found only when the next job ended, blamed on that job's task. So the
 * kill is finished only when a scan after the last exit comes back empty. Each scan that still
 * finds new processes is a round; rounds and the two graces bound the chase, so a fork bomb cannot
 * hold the pool: past {@link #MAX_ROUNDS} it is escalated to SIGKILL at once, and past twice that,
 * or the forced stage's grace, the caller gives up ({@link #due} and {@link #forced} both true).
 */
final class TreeKill {

    /**
     * Rescans that found new processes before the kill is escalated to SIGKILL (and as many again
     * before the pool stops chasing). A shell that forks one child as it dies takes one round; a
     * legitimate tree is done in a few. Dozens means something forks as fast as it is killed.
     */
    static final int MAX_ROUNDS = 16;

    /** Told of the processes each later scan found, already signalled; {@code forced} is whether with SIGKILL. */
    interface Found {
        void found(List<ProcessTable.Entry> processes, boolean forced);
    }

    private final Supplier<List<ProcessTable.Entry>> scan;
    private final Found onFound;
    private final List<ProcessTable.Entry> signalled;
    private long deadlineNanos;
    private boolean forced;
    private int rounds;

    private TreeKill(Supplier<List<ProcessTable.Entry>> scan, Found onFound, List<ProcessTable.Entry> signalled, long deadlineNanos) {
        this.scan = scan;
        this.onFound = onFound;
        this.signalled = new ArrayList<>(signalled);
        this.deadlineNanos = deadlineNanos;
    }

    /**
     * Sends SIGTERM to {@code found} (SIGKILL if {@code deadlineNanos} has passed already).
     *
     * @param includeBaseline whether later scans also take the processes the worker's initializer
     *     started (yes once the worker itself is gone; no for the leftovers of a job)
     * @param onFound told of what later scans find, so each process is reported
     */
    static TreeKill start(WorkerProcesses processes, boolean includeBaseline, List<ProcessTable.Entry> found, long deadlineNanos,
            Found onFound) {
        return start(includeBaseline ? processes::members : processes::leftovers, found, deadlineNanos, onFound);
    }

    /** {@link #start(WorkerProcesses, boolean, List, long, Found)} with the scan given; for tests. */
    static TreeKill start(Supplier<List<ProcessTable.Entry>> scan, List<ProcessTable.Entry> found, long deadlineNanos, Found onFound) {
        TreeKill kill = new TreeKill(scan, onFound, found, deadlineNanos);
        if (System.nanoTime() - deadlineNanos > 0) {
            kill.force(Duration.ZERO);
        } else {
            ProcessTree.signal(found, false);
        }
        return kill;
    }

    /**
     * Whether the kill is over: none of the signalled processes runs any more and a fresh scan of
     * the tree finds no other. What that scan does find is signalled (in the current stage's way)
     * and passed to the {@link Found}, and the kill goes on.
     */
    boolean finished() {
        if (signalled.stream().anyMatch(ProcessTable.Entry::stillRunning)) {
            return false;
        }
        return chase(forced).isEmpty();
    }

    /** Whether the current stage is over: its grace has passed, or it took too many rounds. */
    boolean due(long nowNanos) {
        return nowNanos - deadlineNanos > 0 || rounds >= (forced ? 2 * MAX_ROUNDS : MAX_ROUNDS);
    }

    boolean forced() {
        return forced;
    }

    /** SIGKILL to the signalled processes and the rest of the tree as it is now; a grace of {@code nextGrace} for them to go. */
    void force(Duration nextGrace) {
        forced = true;
        ProcessTree.signal(signalled, true);
        chase(true);
        deadlineNanos = System.nanoTime() + nextGrace.toNanos();
    }

    /** The processes still running: the signalled ones and any a scan finds now, for a last word in the log. */
    List<ProcessTable.Entry> running() {
        List<ProcessTable.Entry> running = new ArrayList<>(signalled.stream().filter(ProcessTable.Entry::stillRunning).toList());
        running.addAll(unseen(scan.get()));
        return running;
    }

    /** Scans the tree; signals and reports what was not signalled before. */
    private List<ProcessTable.Entry> chase(boolean force) {
        List<ProcessTable.Entry> added = unseen(scan.get());
        if (!added.isEmpty()) {
            rounds++;
            signalled.addAll(added);
            ProcessTree.signal(added, force);
            onFound.found(added, force);
        }
        return added;
    }

    private List<ProcessTable.Entry> unseen(List<ProcessTable.Entry> now) {
        return now.stream().filter(e -> signalled.stream().noneMatch(e::sameProcess)).toList();
    }
}
