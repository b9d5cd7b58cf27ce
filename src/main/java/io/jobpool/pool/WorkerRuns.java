package io.jobpool.pool;

import io.jobpool.process.ProcessTable;
import io.jobpool.process.ProcessTree;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This server run's mark on its workers, held under a lock file in the data directory, so a later
 * run can kill what an earlier one left behind.
 *
 * <p>Every worker's marker (inherited by what its tasks start) begins with {@link #RUN}. While a
 * server runs it holds a lock on {@code <dir>/<RUN>.lock}; the operating system drops the lock when
 * the process dies, however it dies. A task's child that outlived both its worker and the server
 * (both killed with -9: the worker's watchdog never ran, and nobody was left to kill the tree) is
 * found by the next start: a lock file it can lock belongs to a run that is gone, and every process
 * still carrying that run's marker is killed. A run that is alive (another replica sharing the
 * directory) keeps its lock and its processes.
 */
public final class WorkerRuns implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WorkerRuns.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** This process's run: the start of every worker marker it hands out. */
    public static final String RUN = "jobpool-" + HexFormat.of().toHexDigits(RANDOM.nextLong());

    private static final String SUFFIX = ".lock";

    /**
     * The lock this process holds in each directory and how many holders share it: application
     * contexts of one process (tests) are one run, and the last to close releases the lock. A second
     * lock file of the same run, renamed into place, replaced the first's, which the first's close
     * then deleted.
     */
    private static final java.util.Map<Path, Held> HELD = new java.util.HashMap<>();

    private record Held(FileChannel channel, int holders) {}

    private final Path dir;
    private final Path file;

    private WorkerRuns(Path dir, Path file) {
        this.dir = dir;
        this.file = file;
    }

    /** A marker prefix for one pool: this run's, and unique among the pools of this process. */
    static String poolPrefix() {
        return RUN + "-" + HexFormat.of().toHexDigits(RANDOM.nextInt());
    }

    /**
     * Kills what earlier runs that are gone left in {@code dir}'s care, then holds this run's lock
     * there until {@link #close}. A directory it cannot use costs only the clean-up: the server
     * starts anyway.
     */
    public static synchronized WorkerRuns hold(Path dir) {
        dir = dir.toAbsolutePath().normalize();
        Path file = dir.resolve(RUN + SUFFIX);
        Held held = HELD.get(dir);
        if (held != null) {
            HELD.put(dir, new Held(held.channel(), held.holders() + 1));
            return new WorkerRuns(dir, file);
        }
        FileChannel channel = null;
        try {
            Files.createDirectories(dir);
            sweepRunsGone(dir);
            // Locked under another name, then renamed: a start sweeping at the same moment never
            // sees this run's lock file unlocked, and never takes this run for one that is gone.
            Path unnamed = dir.resolve(RUN + SUFFIX + ".new");
            channel = FileChannel.open(unnamed, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            if (channel.tryLock() == null) {
                throw new IOException("another process holds it");
            }
            Files.move(unnamed, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            HELD.put(dir, new Held(channel, 1));
            return new WorkerRuns(dir, file);
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            log.warn("Cannot keep a worker run lock in {} ({}); a later start will not find processes this run's tasks leave"
                    + " behind if this server and its workers are killed with -9", dir, e.toString());
            return new WorkerRuns(dir, null);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing held through it
            }
        }
    }

    private static void sweepRunsGone(Path dir) throws IOException {
        List<String> gone = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> locks = Files.newDirectoryStream(dir, "jobpool-*" + SUFFIX)) {
            for (Path lockFile : locks) {
                // Only an empty file is a run's lock: anything else someone put here is left alone.
                if (!lockFile.getFileName().toString().startsWith(RUN) && Files.size(lockFile) == 0 && released(lockFile)) {
                    String name = lockFile.getFileName().toString();
                    gone.add(name.substring(0, name.length() - SUFFIX.length()));
                    files.add(lockFile);
                }
            }
        }
        if (gone.isEmpty()) {
            return;
        }
        List<ProcessTable.Entry> left = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        for (ProcessTable.Entry entry : ProcessTable.read().entries()) {
            if (entry.pid() != self && entry.running() && ProcessTable.environmentValue(entry.pid(), ProcessTree.MARKER_VARIABLE)
                    .filter(marker -> gone.stream().anyMatch(run -> marker.startsWith(run + "-"))).isPresent()) {
                left.add(entry);
            }
        }
        if (!left.isEmpty()) {
            int killed = ProcessTree.signal(left, true);
            log.warn("Killed {} process(es) that workers of an earlier run of this server started and that outlived it (it and"
                    + " its workers were killed without cleaning up): {}", killed, WorkerProcesses.describe(left));
        }
        for (Path lockFile : files) {
            Files.deleteIfExists(lockFile);
        }
    }

    /** Whether no live process holds the lock of {@code lockFile}. */
    private static boolean released(Path lockFile) {
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                return false;
            }
            lock.release();
            return true;
        } catch (OverlappingFileLockException heldHere) {
            return false;
        } catch (IOException e) {
            log.debug("Could not check worker run lock {}: {}", lockFile, e.toString());
            return false;
        }
    }

    /** This run stopped its workers itself: nothing of it is left to find. */
    @Override
    public void close() {
        synchronized (WorkerRuns.class) {
            Held held = file == null ? null : HELD.get(dir);
            if (held == null) {
                return;
            }
            if (held.holders() > 1) {
                HELD.put(dir, new Held(held.channel(), held.holders() - 1));
                return;
            }
            HELD.remove(dir);
            closeAndDelete(held.channel());
        }
    }

    private void closeAndDelete(FileChannel channel) {
        try {
            channel.close();
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.debug("Could not remove worker run lock {}: {}", file, e.toString());
        }
    }
}
