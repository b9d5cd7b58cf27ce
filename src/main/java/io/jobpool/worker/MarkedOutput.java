package io.jobpool.worker;

import io.jobpool.protocol.OutputMarks;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;

/**
 * A job's output where the launcher put descriptors 1 and 2 on the stderr pipe: {@code System.out}
 * and {@code System.err} write to them directly, unbuffered, so what Java code prints and what
 * native code and child processes write reach the server in the order written; each job's output
 * is framed by its begin and end marks ({@link OutputMarks}).
 */
final class MarkedOutput implements JobOutput {

    private final FileOutputStream stderr;
    private final PrintStream out;
    private final PrintStream err;
    /** The token the server gave this worker for its marks, in its init frame. */
    private volatile String token;

    /** Sets {@code System.out} and {@code System.err} to descriptors 1 and 2 ({@code stderr}). */
    MarkedOutput(FileOutputStream stdout, FileOutputStream stderr) {
        this.stderr = stderr;
        this.out = stream(stdout);
        this.err = stream(stderr);
        System.setOut(out);
        System.setErr(err);
    }

    void token(String token) {
        this.token = token;
    }

    /**
     * {@code System.out} / {@code System.err}: unbuffered, so nothing printed is still held here
     * when a mark goes. Closing one only flushes it: closed, it closed descriptor 1 or 2 for every
     * later job of the worker, whose output (and, for 2, the marks) went nowhere.
     */
    private static PrintStream stream(FileOutputStream descriptor) {
        return new PrintStream(descriptor, true, java.nio.charset.StandardCharsets.UTF_8) {
            @Override
            public void close() {
                flush();
            }
        };
    }

    @Override
    public void begin(String jobId) {
        // A task that set System.out or System.err elsewhere (a file, a buffer) did so for itself, not for the next job.
        System.setOut(out);
        System.setErr(err);
        write(OutputMarks.begin(token, jobId));
    }

    @Override
    public void end(String jobId) {
        System.out.flush();
        System.err.flush();
        write(OutputMarks.end(token, jobId));
    }

    /** One write: below PIPE_BUF, so no other writer's bytes land inside the mark. */
    private void write(byte[] mark) {
        try {
            stderr.write(mark);
        } catch (IOException e) {
            // The server is gone: the frame reader ends the worker.
        }
    }
}
