package io.jobpool.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.OsProcesses;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link ProcessTree} with real processes: which processes count as a worker's, however
 * they left it, and that {@link ProcessTree#kill} ends them all but the root.
 */
class ProcessTreeTest {

    private final String inSession = OsProcesses.uniqueSeconds();
    private final String daemon = OsProcesses.uniqueSeconds();
    private final String root = OsProcesses.uniqueSeconds();
    private final String stranger = OsProcesses.uniqueSeconds();
    private Process rootProcess;
    private Process strangerProcess;

    @AfterEach
    void leaveNothingBehind() {
        for (String seconds : List.of(inSession, daemon, root, stranger)) {
            OsProcesses.killSleeping(seconds);
        }
    }

    @Test
    void findsOrphansInTheSessionAndDetachedDaemonsByTheMarkerButNoStranger() throws Exception {
        ProcessTree tree = startRoot("marker-" + System.nanoTime());
        ProcessHandle orphan = OsProcesses.awaitOneSleeping(inSession, Duration.ofSeconds(10));
        ProcessHandle detached = OsProcesses.awaitOneSleeping(daemon, Duration.ofSeconds(10));
        OsProcesses.awaitOneSleeping(root, Duration.ofSeconds(10));
        assertThat(orphan.parent().map(ProcessHandle::pid)).as("re-parented").isNotEqualTo(java.util.Optional.of(tree.rootPid()));
        strangerProcess = new ProcessBuilder("sleep", stranger).start();

        List<Long> members = tree.members().stream().map(ProcessTable.Entry::pid).toList();

        assertThat(members).contains(orphan.pid(), detached.pid())
                .doesNotContain(tree.rootPid(), strangerProcess.pid(), ProcessHandle.current().pid());
        List<Long> bySessionAlone = new ProcessTree(tree.rootPid(), tree.rootStartTicks(), null).members().stream()
                .map(ProcessTable.Entry::pid).toList();
        assertThat(bySessionAlone).as("without the marker").contains(orphan.pid()).doesNotContain(detached.pid());
    }

    @Test
    void anotherMarkerDoesNotClaimTheDetachedDaemon() throws Exception {
        ProcessTree tree = startRoot("marker-" + System.nanoTime());
        ProcessHandle detached = OsProcesses.awaitOneSleeping(daemon, Duration.ofSeconds(10));
        ProcessTree other = new ProcessTree(strangerRootPid(), tree.rootStartTicks(), "some-other-marker");

        assertThat(other.members().stream().map(ProcessTable.Entry::pid)).doesNotContain(detached.pid());
    }

    @Test
    void killEndsEveryMemberAndLeavesTheRoot() throws Exception {
        ProcessTree tree = startRoot("marker-" + System.nanoTime());
        ProcessHandle orphan = OsProcesses.awaitOneSleeping(inSession, Duration.ofSeconds(10));
        ProcessHandle detached = OsProcesses.awaitOneSleeping(daemon, Duration.ofSeconds(10));
        OsProcesses.awaitOneSleeping(root, Duration.ofSeconds(10));

        List<ProcessTable.Entry> killed = tree.kill(Duration.ofSeconds(1));

        assertThat(killed.stream().map(ProcessTable.Entry::pid)).contains(orphan.pid(), detached.pid());
        assertThat(OsProcesses.running(orphan.pid())).isFalse();
        assertThat(OsProcesses.running(detached.pid())).isFalse();
        assertThat(rootProcess.isAlive()).isTrue();
        assertThat(tree.members()).isEmpty();
    }

    /**
     * A root like a worker: its own session through setsid, the marker in its environment. It
     * leaves a child in its session whose parent exits (re-parented), a daemon that double-forked
     * into a session of its own, and then becomes {@code sleep root} itself.
     */
    private ProcessTree startRoot(String marker) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("setsid", "bash", "-c",
                "sh -c 'sleep " + inSession + " >/dev/null 2>&1 &'; setsid --fork sleep " + daemon + " >/dev/null 2>&1; exec sleep " + root);
        builder.environment().put(ProcessTree.MARKER_VARIABLE, marker);
        rootProcess = builder.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        return ProcessTree.of(rootProcess.pid(), marker);
    }

    private long strangerRootPid() throws Exception {
        strangerProcess = new ProcessBuilder("sleep", stranger).start();
        return strangerProcess.pid();
    }

    @AfterEach
    void stopRoots() {
        if (rootProcess != null) {
            rootProcess.destroyForcibly();
        }
        if (strangerProcess != null) {
            strangerProcess.destroyForcibly();
        }
    }
}
