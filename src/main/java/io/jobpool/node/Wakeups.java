package io.jobpool.node;

import io.jobpool.job.WorkSignal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The dispatcher's doorbell: rung when any replica submits or re-queues jobs, or finishes one
 * while per-task caps exist (through {@link io.jobpool.job.Broadcast}), waited on when idle. Each
 * claiming loop (one per runtime's pool) has a bell of its own, and a ring sounds all of them:
 * only the loop of the job's runtime can claim it, and which one that is the ringer cannot know.
 */
public final class Wakeups implements WorkSignal {

    private final List<Bell> bells = new CopyOnWriteArrayList<>();

    @Override
    public void jobsAvailable() {
        bells.forEach(Bell::ring);
    }

    /** A bell of its own for one waiting loop. */
    Bell bell() {
        Bell bell = new Bell();
        bells.add(bell);
        return bell;
    }

    /** One loop's bell. */
    static final class Bell {
        private final Semaphore permits = new Semaphore(0);

        private void ring() {
            if (permits.availablePermits() == 0) {
                permits.release();
            }
        }

        /** Waits up to {@code timeout} for a ring; rings that came in meanwhile are merged into one. */
        void await(Duration timeout) throws InterruptedException {
            permits.tryAcquire(timeout.toMillis(), TimeUnit.MILLISECONDS);
            permits.drainPermits();
        }
    }
}
