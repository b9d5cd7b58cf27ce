package io.jobpool.process;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;

/**
 * The last process ID the kernel handed out, the last field of {@code /proc/loadavg}: one small
 * read that tells whether anything at all was forked between two moments. Every process and
 * thread created in this PID namespace, or in one nested in it, takes the next ID, so when the
 * figure has not moved no process can have been started and a full scan of the process table (a
 * read per process) is skipped.
 *
 * <p>It is read twice per job. {@code /proc/stat}'s {@code processes} count, read before, sums
 * every CPU's and every interrupt's counters on each read, and opening and closing the file cost
 * as much again: 4 % of the server's CPU on a 2-core machine under the sync load. The file is kept
 * open and read at offset 0, which makes procfs produce it afresh.
 *
 * <p>Only trusted once it has been seen to move across a fork the pool made itself: an emulated
 * {@code /proc} (gVisor, some container file systems) may show a constant, which would otherwise
 * hide every leftover. IDs wrap around at {@code pid_max}; for the figure to come back to the
 * same value a job would have to see millions of forks, and its leftovers are then still ended
 * with its worker's session.
 */
public final class ForkCounter {

    private static final Path LOADAVG = Path.of("/proc/loadavg");

    private volatile boolean trusted;

    /** Opened once; {@code null} where there is no {@code /proc/loadavg} (not Linux). */
    private static final class Source {
        static final FileChannel CHANNEL = open();

        private static FileChannel open() {
            try {
                return FileChannel.open(LOADAVG, StandardOpenOption.READ);
            } catch (IOException | UnsupportedOperationException e) {
                // No /proc (macOS, a sandbox without it): read() answers empty and the pool scans
                // the process table after every job instead, which is correct, only slower.
                return null;
            }
        }
    }

    /** The last PID handed out, if {@code /proc/loadavg} has it. Safe from any thread. */
    public static OptionalLong read() {
        FileChannel channel = Source.CHANNEL;
        if (channel == null) {
            // Not Linux, or not readable: no shortcut, always scan.
            return OptionalLong.empty();
        }
        ByteBuffer text = ByteBuffer.allocate(128);
        try {
            // Positional reads: no shared file position, so pools on several threads may read at once.
            while (text.hasRemaining() && channel.read(text, text.position()) > 0) {
                // procfs normally answers in one read; the loop covers one that comes in pieces.
            }
        } catch (IOException e) {
            return OptionalLong.empty();
        }
        return lastPid(text.array(), text.position());
    }

    /** The last field of a {@code /proc/loadavg} text ("0.50 0.40 0.30 2/345 12345\n"), if it is a number. */
    static OptionalLong lastPid(byte[] text, int length) {
        int end = length;
        while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == ' ')) {
            end--;
        }
        int start = end;
        while (start > 0 && text[start - 1] >= '0' && text[start - 1] <= '9') {
            start--;
        }
        // Five fields: a text of another shape (or a number too long for a PID) is no count.
        if (start == end || end - start > 18 || start == 0 || text[start - 1] != ' ' || fields(text, end) != 5) {
            return OptionalLong.empty();
        }
        long pid = 0;
        for (int i = start; i < end; i++) {
            pid = pid * 10 + (text[i] - '0');
        }
        return OptionalLong.of(pid);
    }

    private static int fields(byte[] text, int end) {
        int fields = 0;
        boolean inField = false;
        for (int i = 0; i < end; i++) {
            boolean blank = text[i] == ' ' || text[i] == '\n';
            if (!blank && !inField) {
                fields++;
            }
            inField = !blank;
        }
        return fields;
    }

    /** Call with the figure before and after starting a process: a figure that moved is trusted. */
    public void sawFork(OptionalLong before, OptionalLong after) {
        if (before.isPresent() && after.isPresent() && after.getAsLong() != before.getAsLong()) {
            trusted = true;
        }
    }

    /** Whether it is certain that no process was created between the two readings. */
    public boolean nothingForked(OptionalLong before, OptionalLong after) {
        return trusted && before.isPresent() && after.isPresent() && before.getAsLong() == after.getAsLong();
    }
}
