package io.jobpool.worker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/**
 * Descriptors 1 and 2, which child processes, native code and the JVM itself write to: a pipe that
 * a thread reads into {@link CapturedOutput}, so what they write is the running job's log, as
 * {@code System.out} is, and between jobs goes to the worker's stderr, as stray output does.
 *
 * <p>A job's output is complete once its end is marked in the pipe itself: everything written
 * before the mark has been read and captured before the job's log is closed (the Python worker
 * does the same).
 */
final class DescriptorCapture {

    private static final byte[] MARK = "\0jobpool-drained\0".getBytes(StandardCharsets.US_ASCII);

    private final InputStream readEnd;
    private final OutputStream writeEnd;
    private final OutputStream sink;
    private final Object marks = new Object();
    private long marked;
    private long seen;

    DescriptorCapture(InputStream readEnd, OutputStream writeEnd, OutputStream sink) {
        this.readEnd = readEnd;
        this.writeEnd = writeEnd;
        this.sink = sink;
    }

    /** Starts the reader: a platform thread, as it blocks in a native read. */
    DescriptorCapture start() {
        Thread.ofPlatform().daemon().name("jobpool-descriptor-capture").start(this::pump);
        return this;
    }

    /**
     * Waits until what was written to descriptors 1 and 2 before now is captured, for at most
     * {@code timeout}: a child that filled the pipe and left must not hold the job's result.
     */
    void drain(Duration timeout) {
        long ticket;
        synchronized (marks) {
            ticket = ++marked;
        }
        try {
            // Below PIPE_BUF, so the write is atomic: no other writer's bytes land inside the mark.
            synchronized (writeEnd) {
                writeEnd.write(MARK);
            }
        } catch (IOException e) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (marks) {
            while (seen < ticket) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    marks.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void pump() {
        byte[] buffer = new byte[64 * 1024];
        // Bytes kept from the last read: they may be the start of a mark whose rest is still in the pipe.
        byte[] pending = new byte[0];
        while (true) {
            int read;
            try {
                read = readEnd.read(buffer);
            } catch (IOException e) {
                return;
            }
            if (read < 0) {
                return;
            }
            byte[] data = concat(pending, buffer, read);
            int from = 0;
            for (int at = indexOf(data, from); at >= 0; at = indexOf(data, from)) {
                emit(data, from, at - from);
                from = at + MARK.length;
                synchronized (marks) {
                    seen++;
                    marks.notifyAll();
                }
            }
            int keep = partialMarkAtEnd(data, from);
            emit(data, from, data.length - from - keep);
            pending = Arrays.copyOfRange(data, data.length - keep, data.length);
        }
    }

    private void emit(byte[] data, int offset, int length) {
        if (length > 0) {
            try {
                sink.write(data, offset, length);
            } catch (IOException | RuntimeException e) {
                // The server is gone (the worker is exiting): nothing to deliver the output to.
            }
        }
    }

    private static byte[] concat(byte[] pending, byte[] buffer, int length) {
        byte[] data = Arrays.copyOf(pending, pending.length + length);
        System.arraycopy(buffer, 0, data, pending.length, length);
        return data;
    }

    private static int indexOf(byte[] data, int from) {
        outer:
        for (int i = from; i <= data.length - MARK.length; i++) {
            for (int j = 0; j < MARK.length; j++) {
                if (data[i + j] != MARK[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** How many bytes at the end of {@code data} (after {@code from}) are a beginning of the mark. */
    private static int partialMarkAtEnd(byte[] data, int from) {
        for (int keep = Math.min(MARK.length - 1, data.length - from); keep > 0; keep--) {
            if (Arrays.equals(data, data.length - keep, data.length, MARK, 0, keep)) {
                return keep;
            }
        }
        return 0;
    }
}
