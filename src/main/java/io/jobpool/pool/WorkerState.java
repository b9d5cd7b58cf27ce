package io.jobpool.pool;

/** Life of a worker process as the supervisor sees it. */
public enum WorkerState {
    /** Process started, not yet ready (booting, running the initializer). */
    STARTING,
    /** Ready and waiting for a job. */
    IDLE,
    /** Running exactly one job. */
    BUSY,
    /** Asked to exit or being killed; takes no more jobs. */
    STOPPING
}
