package io.jobpool.pool;

import java.time.Duration;

/** Receives what the pool does. Called on the supervisor thread: implementations must not block. */
public interface PoolListener {

    /** Exactly once per accepted assignment. */
    void jobFinished(JobOutcome outcome);

    /** A worker went away and will be replaced; {@code reason} is a low-cardinality metric label. */
    default void workerRestarted(String reason) {}

    /** A new worker answered ready after {@code startup}. */
    default void workerReady(Duration startup) {}
}
