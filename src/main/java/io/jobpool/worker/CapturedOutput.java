package io.jobpool.worker;

import io.jobpool.protocol.Message;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Replaces {@code System.out} and {@code System.err} so that what task code prints becomes the
 * job's log instead of bytes on the protocol pipe, where a worker runs without the launcher's
 * descriptors ({@link MarkedOutput}).
 *
 * <p>Text is forwarded in {@link Message.Output} frames at each line end or every 8 KiB, so the
 * log survives a worker that dies mid-job. Output written while no job runs (the initializer,
 * stray threads) goes to the worker's real stderr, which
 * the server logs.
 */
final class CapturedOutput implements JobOutput {

    private static final int FLUSH_BYTES = 8 * 1024;

    private final ProtocolChannel channel;
    private final PrintStream realErr;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private String jobId;

    CapturedOutput(ProtocolChannel channel, PrintStream realErr) {
        this.channel = channel;
        this.realErr = realErr;
    }

    /** Routes captured output to {@code jobId} until {@link #end}. */
    @Override
    public synchronized void begin(String jobId) {
        flush();
        this.jobId = jobId;
    }

    @Override
    public synchronized void end(String jobId) {
        flush();
        this.jobId = null;
    }

    PrintStream printStream() {
        return new PrintStream(sink(), true, StandardCharsets.UTF_8);
    }

    private OutputStream sink() {
        return new Sink();
    }

    private synchronized void append(byte[] bytes, int offset, int length) {
        buffer.write(bytes, offset, length);
        if (buffer.size() >= FLUSH_BYTES || endsWithNewline(bytes, offset, length)) {
            flush();
        }
    }

    private static boolean endsWithNewline(byte[] bytes, int offset, int length) {
        return length > 0 && bytes[offset + length - 1] == '\n';
    }

    private synchronized void flush() {
        if (buffer.size() == 0) {
            return;
        }
        String text = buffer.toString(StandardCharsets.UTF_8);
        buffer.reset();
        if (jobId != null) {
            channel.send(new Message.Output(jobId, text));
        } else {
            realErr.print(text);
            realErr.flush();
        }
    }

    private final class Sink extends OutputStream {
        @Override
        public void write(int b) {
            append(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            append(bytes, offset, length);
        }

        @Override
        public void flush() {
            CapturedOutput.this.flush();
        }
    }
}
