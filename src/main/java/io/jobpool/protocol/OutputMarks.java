package io.jobpool.protocol;

import java.nio.charset.StandardCharsets;

/**
 * The line a Java worker writes to its stderr when a job ends, after everything the job's
 * processes wrote to descriptors 1 and 2 (both are the worker's stderr pipe): the server reads
 * that pipe into the job's log, and holds the job's result until it has read the job's mark, so
 * the log is complete when the job is seen finished. NUL bytes keep a task's own output from
 * ever looking like a mark.
 */
public final class OutputMarks {

    private static final String PREFIX = "\0jobpool-end-of-output ";
    private static final String SUFFIX = "\0";

    private OutputMarks() {}

    /** The mark of {@code jobId}'s end, a whole line, in one write (far below PIPE_BUF: atomic). */
    public static byte[] of(String jobId) {
        return (PREFIX + jobId + SUFFIX + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Where a mark starts in a line read from the stderr pipe, or -1. Output written without a
     * final newline ends up on the mark's line, before it.
     */
    public static int find(String line) {
        return line.indexOf(PREFIX);
    }

    /** The job whose mark starts at {@code at} in {@code line} ({@link #find}). */
    public static String jobOf(String line, int at) {
        int from = at + PREFIX.length();
        int end = line.indexOf(SUFFIX, from);
        return end < 0 ? line.substring(from) : line.substring(from, end);
    }
}
