package io.jobpool.pool;

import java.time.Duration;

/** Receives what the pool does. Called on the supervisor thread: implementations must not block. */
public interface PoolListener {

    /** Every {@code reason} {@link #workerRestarted} reports. */
    java.util.List<String> RESTART_REASONS = java.util.List.of("crashed", "timeout", "cancelled", "recycled", "memory", "boot_failure");

    /** Exactly once per accepted assignment. */
    void jobFinished(JobOutcome outcome);

    /** A worker (its process {@code pid}) took the job: the pool handed it over on the worker's pipe. */
    default void jobStarted(String jobId, long pid) {}

    /** The running job reported progress (0 to 1) through its task context. */
    default void jobProgress(String jobId, double fraction, String message) {}

    /** A worker went away and will be replaced; {@code reason} is a low-cardinality metric label. */
    default void workerRestarted(String reason) {}

    /** The pool killed {@code count} processes a job of {@code task} started and left running. */
    default void leftoverProcessesKilled(String task, int count) {}

    /** A worker booted with these tasks registered (the pool's tasks from now on). */
    default void tasksRegistered(java.util.Set<String> tasks) {}

    /** A new worker answered ready after {@code startup}. */
    default void workerReady(Duration startup) {}
}
