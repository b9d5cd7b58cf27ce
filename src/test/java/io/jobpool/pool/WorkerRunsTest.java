package io.jobpool.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jobpool.process.ProcessTree;
import io.jobpool.testing.OsProcesses;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tests, with real processes, that a start kills what a run that is gone left behind, and only that. */
class WorkerRunsTest {

    @TempDir
    Path dir;

    private final String seconds = OsProcesses.uniqueSeconds();

    @AfterEach
    void leaveNothingBehind() {
        OsProcesses.killSleeping(seconds);
    }

    @Test
    void processesOfARunWhoseLockIsFreeAreKilledAndThoseOfALiveRunAreNot() throws Exception {
        Files.createFile(dir.resolve("jobpool-0000000000000001.lock"));
        Files.createFile(dir.resolve("jobpool-0000000000000002.lock"));
        Files.writeString(dir.resolve("jobpool-notes.lock"), "someone's file, not a run's lock");
        Process ofAGoneRun = sleepWithMarker("jobpool-0000000000000001-00c0ffee-w-1");
        Process ofALiveRun = sleepWithMarker("jobpool-0000000000000002-00c0ffee-w-1");
        try (FileChannel live = FileChannel.open(dir.resolve("jobpool-0000000000000002.lock"), StandardOpenOption.WRITE);
                FileLock held = live.lock()) {
            try (WorkerRuns runs = WorkerRuns.hold(dir)) {
                OsProcesses.awaitGone(ofAGoneRun.pid(), Duration.ofSeconds(10));
                assertThat(ofALiveRun.isAlive()).as("its run holds its lock").isTrue();
                assertThat(dir.resolve("jobpool-0000000000000001.lock")).doesNotExist();
                assertThat(dir.resolve("jobpool-0000000000000002.lock")).exists();
                assertThat(dir.resolve(WorkerRuns.RUN + ".lock")).exists();
                assertThat(dir.resolve("jobpool-notes.lock")).as("not empty: not a lock").exists();
            }
            assertThat(dir.resolve(WorkerRuns.RUN + ".lock")).as("a run that stopped its workers leaves no lock").doesNotExist();
        } finally {
            ofALiveRun.destroyForcibly().waitFor();
        }
    }

    /** Two application contexts of one process are one run: one lock, released by the last to close. */
    @Test
    void holdersInOneProcessShareTheRunsLockUntilTheLastCloses() throws Exception {
        Path lock = dir.resolve(WorkerRuns.RUN + ".lock");
        WorkerRuns first = WorkerRuns.hold(dir);
        WorkerRuns second = WorkerRuns.hold(dir);
        first.close();
        assertThat(lock).as("still held by the second").exists();
        try (FileChannel other = FileChannel.open(lock, StandardOpenOption.WRITE)) {
            assertThatThrownBy(other::tryLock).isInstanceOf(java.nio.channels.OverlappingFileLockException.class);
        }
        second.close();
        assertThat(lock).doesNotExist();
    }

    @Test
    void everyPoolOfThisRunMarksItsWorkersWithTheRun() {
        assertThat(WorkerRuns.poolPrefix()).startsWith(WorkerRuns.RUN + "-").isNotEqualTo(WorkerRuns.poolPrefix());
    }

    private Process sleepWithMarker(String marker) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("sleep", seconds);
        builder.environment().put(ProcessTree.MARKER_VARIABLE, marker);
        return builder.start();
    }
}
