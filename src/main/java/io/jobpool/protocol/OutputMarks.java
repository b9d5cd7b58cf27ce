package io.jobpool.protocol;

import java.nio.charset.StandardCharsets;

/**
 * The lines a Java worker writes to its stderr, where everything a job's processes write to
 * descriptors 1 and 2 goes, when a job begins and when it ends: the server reads what lies between
 * a job's two marks into that job's log, and what lies outside any job into its own log; it holds a
 * job's result until it has read the job's end mark, so the log is complete when the job is seen
 * finished. A mark is {@code NUL "jobpool-" token " " kind " " jobId NUL "\n"}: NUL bytes keep a
 * task's own text from looking like one, and the token, random per worker and sent to it in its
 * init frame (never in its environment or command line, which its children see), keeps a task or
 * its children from forging one: a mark with another token is text. Each is one write far below
 * PIPE_BUF, so no other writer's bytes land inside it.
 */
public final class OutputMarks {

    /** What a mark starts with. */
    public static final byte[] PREFIX = "\0jobpool-".getBytes(StandardCharsets.US_ASCII);
    public static final String BEGIN = "begin";
    public static final String END = "end";
    /** The longest token and job id a mark carries; a longer run of bytes after the prefix is no mark. */
    public static final int MAX_BODY_BYTES = 300;

    private OutputMarks() {}

    /** A new random token for one worker's marks. */
    public static String newToken() {
        byte[] random = new byte[16];
        new java.security.SecureRandom().nextBytes(random);
        return java.util.HexFormat.of().formatHex(random);
    }

    /** The mark of {@code jobId}'s output beginning. */
    public static byte[] begin(String token, String jobId) {
        return mark(token, BEGIN, jobId);
    }

    /** The mark of {@code jobId}'s output ending: written after everything the job's processes wrote. */
    public static byte[] end(String token, String jobId) {
        return mark(token, END, jobId);
    }

    private static byte[] mark(String token, String kind, String jobId) {
        return ("\0jobpool-" + token + " " + kind + " " + jobId + "\0\n").getBytes(StandardCharsets.UTF_8);
    }
}
