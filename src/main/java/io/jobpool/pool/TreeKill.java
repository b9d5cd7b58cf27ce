package io.jobpool.pool;

import io.jobpool.process.ProcessTable;
import io.jobpool.process.ProcessTree;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A two-stage kill of processes of one worker's tree that the pool waits for without blocking its
 * supervisor: SIGTERM now; if any is still running when the grace is over, a fresh scan of the tree
 * (catching what they forked meanwhile) and SIGKILL to all of it. Supervisor thread only.
 */
final class TreeKill {

    private final WorkerProcesses processes;
    private final boolean includeBaseline;
    private final List<ProcessTable.Entry> signalled;
    private long deadlineNanos;
    private boolean forced;

    private TreeKill(WorkerProcesses processes, boolean includeBaseline, List<ProcessTable.Entry> signalled, long deadlineNanos) {
        this.processes = processes;
        this.includeBaseline = includeBaseline;
        this.signalled = new ArrayList<>(signalled);
        this.deadlineNanos = deadlineNanos;
    }

    /**
     * Sends SIGTERM to {@code found} (SIGKILL if {@code deadlineNanos} has passed already).
     *
     * @param includeBaseline whether the forced stage also kills the processes the worker's
     *     initializer started (yes once the worker itself is gone; no for the leftovers of a job)
     */
    static TreeKill start(WorkerProcesses processes, boolean includeBaseline, List<ProcessTable.Entry> found, long deadlineNanos) {
        TreeKill kill = new TreeKill(processes, includeBaseline, found, deadlineNanos);
        if (System.nanoTime() - deadlineNanos > 0) {
            kill.force(Duration.ZERO);
        } else {
            ProcessTree.signal(found, false);
        }
        return kill;
    }

    /** Whether none of the signalled processes runs any more. */
    boolean finished() {
        return signalled.stream().noneMatch(ProcessTable.Entry::stillRunning);
    }

    boolean due(long nowNanos) {
        return nowNanos - deadlineNanos > 0;
    }

    boolean forced() {
        return forced;
    }

    /** SIGKILL to the signalled processes and the rest of the tree; returns processes newly found. */
    List<ProcessTable.Entry> force(Duration nextGrace) {
        List<ProcessTable.Entry> now = includeBaseline ? processes.members() : processes.leftovers();
        List<ProcessTable.Entry> added = now.stream().filter(e -> signalled.stream().noneMatch(e::sameProcess)).toList();
        signalled.addAll(added);
        ProcessTree.signal(signalled, true);
        forced = true;
        deadlineNanos = System.nanoTime() + nextGrace.toNanos();
        return added;
    }

    /** The processes still running, for a last word in the log. */
    List<ProcessTable.Entry> running() {
        return signalled.stream().filter(ProcessTable.Entry::stillRunning).toList();
    }
}
