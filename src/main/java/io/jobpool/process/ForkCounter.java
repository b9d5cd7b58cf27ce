package io.jobpool.process;

import java.io.BufferedReader;
import java.io.FileReader;
import java.io.IOException;
import java.util.OptionalLong;

/**
 * The kernel's count of processes (and threads) created since boot, the {@code processes} line of
 * {@code /proc/stat}: one small read that tells whether anything at all was forked between two
 * moments. A full scan of the process table costs a read per process; when this count has not
 * moved, no process can have been started, so the scan is skipped.
 *
 * <p>Only trusted once it has been seen to move across a fork the pool made itself: an emulated
 * {@code /proc} (gVisor, some container file systems) may show a constant, which would otherwise
 * hide every leftover.
 */
public final class ForkCounter {

    private volatile boolean trusted;

    /** The count now, if {@code /proc/stat} has it. */
    public static OptionalLong read() {
        try (BufferedReader reader = new BufferedReader(new FileReader("/proc/stat"), 4096)) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.startsWith("processes ")) {
                    return OptionalLong.of(Long.parseLong(line.substring(10).trim()));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Not Linux, or not readable: no shortcut, always scan.
        }
        return OptionalLong.empty();
    }

    /** Call with the count before and after starting a process: a count that moved is trusted. */
    public void sawFork(OptionalLong before, OptionalLong after) {
        if (before.isPresent() && after.isPresent() && after.getAsLong() > before.getAsLong()) {
            trusted = true;
        }
    }

    /** Whether it is certain that no process was created between the two readings. */
    public boolean nothingForked(OptionalLong before, OptionalLong after) {
        return trusted && before.isPresent() && after.isPresent() && before.getAsLong() == after.getAsLong();
    }
}
