package io.jobpool.pool;

import java.time.Duration;

/**
 * A claimed job handed to the pool: everything a worker needs to run it.
 *
 * @param chunk the job is a chunk of a batch: {@code args} holds one argument array per item
 * @param previous a chunk's per-item outcomes from its last attempt, or {@code null}
 */
public record Assignment(String jobId, String task, String args, String kwargs, int attempt, Duration timeout,
        boolean chunk, String previous) {

    /** A single job, not a chunk. */
    public Assignment(String jobId, String task, String args, String kwargs, int attempt, Duration timeout) {
        this(jobId, task, args, kwargs, attempt, timeout, false, null);
    }
}
