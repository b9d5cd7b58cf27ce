package io.jobpool.process;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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

    private static final byte[] PROCESSES = "\nprocesses ".getBytes(StandardCharsets.US_ASCII);

    private volatile boolean trusted;

    /**
     * The count now, if {@code /proc/stat} has it. Read twice per job, so it reads the bytes and
     * scans them: a {@code BufferedReader} over procfs asks {@code available()}, which procfs
     * answers with an error that becomes an exception on every read.
     */
    public static OptionalLong read() {
        try (InputStream in = new FileInputStream("/proc/stat")) {
            return processes(in);
        } catch (IOException e) {
            // Not Linux, or not readable: no shortcut, always scan.
            return OptionalLong.empty();
        }
    }

    /** The {@code processes} figure of a {@code /proc/stat} text, if it has one. */
    static OptionalLong processes(InputStream stat) throws IOException {
        byte[] text = new byte[8192];
        int length = 0;
        for (int n; (n = stat.read(text, length, text.length - length)) > 0; ) {
            length += n;
            if (length == text.length) {
                text = Arrays.copyOf(text, text.length * 2);
            }
        }
        int at = indexOf(text, length, PROCESSES);
        if (at < 0) {
            return OptionalLong.empty();
        }
        long count = 0;
        int digits = 0;
        for (int i = at + PROCESSES.length; i < length && text[i] >= '0' && text[i] <= '9' && digits < 18; i++, digits++) {
            count = count * 10 + (text[i] - '0');
        }
        return digits == 0 ? OptionalLong.empty() : OptionalLong.of(count);
    }

    private static int indexOf(byte[] text, int length, byte[] word) {
        outer:
        for (int i = 0; i + word.length <= length; i++) {
            for (int j = 0; j < word.length; j++) {
                if (text[i + j] != word[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
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
