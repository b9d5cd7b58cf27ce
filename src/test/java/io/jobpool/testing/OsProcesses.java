package io.jobpool.testing;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Finds the OS processes a test started by their command line. Each test uses a sleep duration of
 * its own ({@link #uniqueSeconds()}), so it finds exactly its own processes and never another
 * test's or another build's.
 */
public final class OsProcesses {

    private OsProcesses() {}

    /** A duration no other test run uses, written as {@code sleep} gets it: "9873.418265". */
    public static String uniqueSeconds() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        // Ends in a non-zero digit, so the number reads back exactly as written from JSON.
        return "98" + random.nextInt(10, 100) + "." + random.nextInt(10_000, 100_000) + random.nextInt(1, 10);
    }

    /**
     * Running {@code sleep <seconds>} processes. A zombie (exited, waiting to be reaped by its
     * parent or by init) has no command line any more and so is not listed: it runs nothing.
     */
    public static List<ProcessHandle> sleeping(String seconds) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().command().map(c -> c.endsWith("/sleep")).orElse(false))
                .filter(p -> p.info().arguments().map(List::of).orElse(List.of()).equals(List.of(seconds)))
                .toList();
    }

    /** Waits until exactly one {@code sleep <seconds>} runs and returns it. */
    public static ProcessHandle awaitOneSleeping(String seconds, Duration timeout) {
        return Await.until("one 'sleep " + seconds + "' running", timeout, () -> sleeping(seconds), list -> list.size() == 1).getFirst();
    }

    /** Waits until the process runs no more (gone, or a zombie awaiting its reaper). */
    public static void awaitGone(long pid, Duration timeout) {
        Await.until("process " + pid + " no longer running", timeout, () -> !running(pid));
    }

    /** Whether the process exists and is not a zombie. */
    public static boolean running(long pid) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (java.io.IOException e) {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && !java.nio.file.Files.isDirectory(java.nio.file.Path.of("/proc"));
        }
    }

    /** Safety net after a test: kills whatever of its sleeps still runs, so a failed test leaves nothing behind. */
    public static void killSleeping(String seconds) {
        sleeping(seconds).forEach(ProcessHandle::destroyForcibly);
    }
}
