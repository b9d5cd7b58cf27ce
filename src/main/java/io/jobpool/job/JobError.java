package io.jobpool.job;

/**
 * Why a job failed: the exception class (or {@code TimeoutError}, {@code WorkerLostError},
 * {@code ResultTooLargeError}), its message and the formatted stack trace, like Python's
 * {@code ExceptionWithTraceback}.
 *
 * <p>Message and trace are bounded ({@link #MAX_CHARS} each): they come from task code, and an
 * exception carrying megabytes of text would otherwise be stored and served with every read of
 * the job, as results and logs are not.
 */
public record JobError(String type, String message, String trace) {

    public static final int MAX_CHARS = 64 * 1024;

    public JobError {
        message = bounded(message);
        trace = bounded(trace);
    }

    private static String bounded(String text) {
        if (text == null || text.length() <= MAX_CHARS) {
            return text;
        }
        return text.substring(0, MAX_CHARS) + "\n[jobpool: cut at " + MAX_CHARS + " characters of " + text.length() + "]";
    }
}
