package io.jobpool.node;

import io.jobpool.job.WorkSignal;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The dispatcher's doorbell: rung when any replica submits, re-queues or finishes jobs (through
 * {@link io.jobpool.job.Broadcast}), waited on when idle.
 */
public final class Wakeups implements WorkSignal {

    private final Semaphore bell = new Semaphore(0);

    @Override
    public void jobsAvailable() {
        if (bell.availablePermits() == 0) {
            bell.release();
        }
    }

    /** Waits up to {@code timeout} for a ring; rings that came in meanwhile are merged into one. */
    void await(Duration timeout) throws InterruptedException {
        bell.tryAcquire(timeout.toMillis(), TimeUnit.MILLISECONDS);
        bell.drainPermits();
    }
}
