package io.jobpool.protocol;

import java.nio.charset.StandardCharsets;

/**
 * The lines a Java worker writes to its stderr, where everything a job's processes write to
 * descriptors 1 and 2 goes, when a job begins and when it ends: the server reads what lies between
 * a job's two marks into that job's log, and what lies outside any job into its own log; it holds a
 * job's result until it has read the job's end mark, so the log is complete when the job is seen
 * finished. A mark is {@code NUL "jobpool-" kind " " jobId NUL "\n"}: NUL bytes keep a task's
 * own text from looking like one, and each is one write far below PIPE_BUF, so no other writer's
 * bytes land inside it.
 */
public final class OutputMarks {

    /** What a mark starts with. */
    public static final byte[] PREFIX = "\0jobpool-".getBytes(StandardCharsets.US_ASCII);
    public static final String BEGIN = "begin";
    public static final String END = "end";
    /** The longest job id a mark carries; a longer run of bytes after the prefix is no mark. */
    public static final int MAX_JOB_ID_BYTES = 200;

    private OutputMarks() {}

    /** The mark of {@code jobId}'s output beginning. */
    public static byte[] begin(String jobId) {
        return mark(BEGIN, jobId);
    }

    /** The mark of {@code jobId}'s output ending: written after everything the job's processes wrote. */
    public static byte[] end(String jobId) {
        return mark(END, jobId);
    }

    private static byte[] mark(String kind, String jobId) {
        return ("\0jobpool-" + kind + " " + jobId + "\0\n").getBytes(StandardCharsets.UTF_8);
    }
}
