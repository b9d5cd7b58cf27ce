package io.jobpool.pool;

import io.jobpool.process.ProcessTable;
import io.jobpool.process.ProcessTree;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The pool's bookkeeping of one worker's process tree: which members the initializer started (they
 * belong to the worker and live as long as it does) and which were already reported, so each
 * killed process is logged and counted once. Supervisor thread only.
 */
final class WorkerProcesses {

    final ProcessTree tree;
    private Set<String> baseline = Set.of();
    private final Set<String> reported = new HashSet<>();

    WorkerProcesses(ProcessTree tree) {
        this.tree = tree;
    }

    /**
     * Every process of the tree now, except the worker itself. A scan reads the process list first
     * and each process after: a process of the tree that forks meanwhile and exits (a shell running
     * {@code sleep 300 &} just as its task returned) is found as a zombie, which is no member, while
     * its child came too late for the list, and the job's leftover walked free. So when a scan
     * finds nothing and the kernel handed out a process ID while it ran, it looks once more.
     */
    List<ProcessTable.Entry> members() {
        return settled(tree::members);
    }

    private static List<ProcessTable.Entry> settled(java.util.function.Supplier<List<ProcessTable.Entry>> scan) {
        java.util.OptionalLong before = io.jobpool.process.ForkCounter.read();
        List<ProcessTable.Entry> found = scan.get();
        if (found.isEmpty() && before.isPresent() && !before.equals(io.jobpool.process.ForkCounter.read())) {
            found = scan.get();
        }
        return found;
    }

    /** Takes the processes the worker has now (started by the initializer) as its own. */
    List<ProcessTable.Entry> rememberBaseline() {
        List<ProcessTable.Entry> members = members();
        baseline = members.stream().map(WorkerProcesses::key).collect(Collectors.toUnmodifiableSet());
        return members;
    }

    /** Members that are not the worker's own: what a job left behind. */
    List<ProcessTable.Entry> leftovers() {
        return settled(() -> tree.members().stream().filter(e -> !baseline.contains(key(e))).toList());
    }

    /** Of {@code found}, the job's processes not reported before; marks them reported. */
    List<ProcessTable.Entry> unreported(List<ProcessTable.Entry> found) {
        return found.stream().filter(e -> !baseline.contains(key(e)) && reported.add(key(e))).toList();
    }

    /** "pid 123 (sleep 987.6), pid 124 (python3 -c ...)". */
    static String describe(List<ProcessTable.Entry> processes) {
        return processes.stream().map(e -> "pid " + e.pid() + " (" + ProcessTable.commandLine(e) + ")")
                .collect(Collectors.joining(", "));
    }

    private static String key(ProcessTable.Entry entry) {
        return entry.pid() + "@" + entry.startTicks();
    }
}
