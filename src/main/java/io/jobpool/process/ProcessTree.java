package io.jobpool.process;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * The processes that belong to one worker: the worker (the root) and everything its tasks started.
 *
 * <p>Why three ways to find them. Each worker is started through {@code setsid}, so it leads a
 * session and process group of its own whose id is its pid, and every process it forks stays in
 * that session unless it leaves on purpose. A member is:
 * <ul>
 *   <li>a <b>descendant</b> of the root, by parent links (what {@link ProcessHandle#descendants()}
 *       finds), even one that called {@code setsid} itself while its parent lives;</li>
 *   <li>in the root's <b>session</b>: a forked child whose parent exited is re-parented to init and
 *       is no longer a descendant, but keeps its session;</li>
 *   <li>started with the worker's <b>marker</b> in its environment: a daemon that double-forked and
 *       called {@code setsid} is neither a descendant nor in the session, but the environment
 *       variable {@link #MARKER_VARIABLE} (unique per worker) is inherited through fork, exec and
 *       {@code setsid} alike. Only a process that also clears its environment escapes all three;
 *       a cgroup per worker would close that gap but needs delegated cgroups, which a container
 *       usually lacks.</li>
 * </ul>
 * Session and marker matches also require a start time not before the root's, so a pid or session
 * id recycled by the system never pulls in a stranger. The current process and init are never
 * members.
 *
 * <p>Why signals go to each process through {@link ProcessHandle} rather than to the group with
 * {@code kill -TERM -<pgid>}: Java has no call to signal a group, so that would mean starting a
 * {@code kill} helper process per kill (slow, and it can fail to start when the pool is out of
 * processes), or native access. A group signal would also miss the members that left the group,
 * which must be found by this scan anyway. The one thing a group signal does better, reaching a
 * child forked between the scan and the signal, is covered by scanning again before the forced
 * stage (see {@link #kill}).
 *
 * @param rootStartTicks start time of the root in clock ticks since boot (0 if unknown)
 * @param marker value of {@link #MARKER_VARIABLE} in the worker's environment, or {@code null}
 */
public record ProcessTree(long rootPid, long rootStartTicks, String marker) {

    /** The environment variable that carries a worker's marker to every process it starts. */
    public static final String MARKER_VARIABLE = "JOBPOOL_WORKER_MARKER";

    private static final long INIT = 1;
    private static final long KTHREADD = 2;

    /** The tree of process {@code pid}, just started with {@code marker} in its environment. */
    public static ProcessTree of(long pid, String marker) {
        return new ProcessTree(pid, ProcessTable.entry(pid).map(ProcessTable.Entry::startTicks).orElse(0L), marker);
    }

    /** The tree of the running process, as a worker sees itself. */
    public static ProcessTree ofCurrentProcess() {
        return of(ProcessHandle.current().pid(), System.getenv(MARKER_VARIABLE));
    }

    /** Every running process of this tree except the root, as {@code table} shows them. */
    public List<ProcessTable.Entry> members(ProcessTable table) {
        long self = ProcessHandle.current().pid();
        boolean rootLives = table.get(rootPid).filter(root -> root.startTicks() == rootStartTicks).isPresent();
        Set<Long> descendants = rootLives ? table.descendantsOf(rootPid) : Set.of();
        List<ProcessTable.Entry> members = new ArrayList<>();
        for (ProcessTable.Entry entry : table.entries()) {
            long pid = entry.pid();
            if (pid == rootPid || pid == self || pid == INIT || pid == KTHREADD || entry.ppid() == KTHREADD || !entry.running()) {
                continue;
            }
            if (descendants.contains(pid)) {
                members.add(entry);
            } else if (entry.startTicks() >= rootStartTicks
                    && (entry.session() == rootPid || marker != null && ProcessTable.environmentHas(entry, MARKER_VARIABLE, marker))) {
                members.add(entry);
            }
        }
        return members;
    }

    /** Reads the process table and returns the members; without {@code /proc}, the root's descendants. */
    public List<ProcessTable.Entry> members() {
        if (ProcessTable.available()) {
            return members(ProcessTable.read());
        }
        return ProcessHandle.of(rootPid).stream().flatMap(ProcessHandle::descendants)
                .map(p -> new ProcessTable.Entry(p.pid(), p.info().command().orElse("?"), 'R',
                        p.parent().map(ProcessHandle::pid).orElse(0L), 0, 0, 0))
                .toList();
    }

    /**
     * Sends SIGTERM ({@code force} false) or SIGKILL to each process that is still the one in its
     * entry; returns how many were signalled.
     */
    public static int signal(Collection<ProcessTable.Entry> processes, boolean force) {
        int signalled = 0;
        for (ProcessTable.Entry entry : processes) {
            boolean same = !ProcessTable.available() || ProcessTable.entry(entry.pid())
                    .filter(now -> now.startTicks() == entry.startTicks()).isPresent();
            ProcessHandle handle = same ? ProcessHandle.of(entry.pid()).orElse(null) : null;
            if (handle != null && (force ? handle.destroyForcibly() : handle.destroy())) {
                signalled++;
            }
        }
        return signalled;
    }

    /**
     * Kills every member, blocking: SIGTERM, up to {@code grace} for them to exit, then a fresh
     * scan (catching what they forked meanwhile) and SIGKILL for the rest, repeated while new ones
     * appear. The root itself is left alone. Returns the members first found.
     */
    public List<ProcessTable.Entry> kill(Duration grace) {
        List<ProcessTable.Entry> found = members();
        if (found.isEmpty()) {
            return found;
        }
        signal(found, false);
        long deadline = System.nanoTime() + grace.toNanos();
        while (System.nanoTime() - deadline < 0 && found.stream().anyMatch(ProcessTable.Entry::stillRunning)) {
            pause();
        }
        for (int round = 0; round < 10; round++) {
            List<ProcessTable.Entry> left = members();
            if (left.isEmpty()) {
                break;
            }
            signal(left, true);
            pause();
        }
        return found;
    }

    private static void pause() {
        try {
            Thread.sleep(20); // polling interval while processes exit; /proc offers no wait for non-children
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
