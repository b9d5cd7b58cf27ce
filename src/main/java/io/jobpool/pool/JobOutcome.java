package io.jobpool.pool;

/**
 * How a job's time on a worker ended. Exactly one outcome is reported for every assignment the
 * pool accepted, whatever happens to the worker.
 */
public sealed interface JobOutcome {

    String jobId();

    /** What the task printed, possibly cut to the configured bound. */
    String logs();

    /** Pid of the worker that ran the job, or 0 if it never reached one. */
    long pid();

    /** The task returned {@code result} (JSON text). */
    record Succeeded(String jobId, String result, String logs, long pid) implements JobOutcome {}

    /** The task threw, timed out, or its worker was lost. */
    record Failed(String jobId, String type, String message, String trace, String logs, long pid)
            implements JobOutcome {}

    /** The worker was killed because the job was cancelled. */
    record Cancelled(String jobId, String logs, long pid) implements JobOutcome {}

    /**
     * The job was stopped by the service shutting down, not by anything it did: it goes back to the
     * queue without counting as an attempt.
     */
    record Interrupted(String jobId, String logs, long pid) implements JobOutcome {}
}
