package io.jobpool.job;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How many jobs are queued, for back-pressure and the {@code jobpool_queue_depth} gauge.
 *
 * <p>Counting rows on every submission would cost more than the insert, so the count is read
 * from the store at most every {@code refreshMillis} and submissions since then are added on top.
 * The estimate errs high between refreshes (claims are not subtracted), so the capacity is never
 * overrun.
 */
public final class QueueDepth {

    private final JobStore store;
    private final long refreshMillis;
    private final AtomicLong added = new AtomicLong();
    private final java.util.concurrent.locks.ReentrantLock refreshing = new java.util.concurrent.locks.ReentrantLock();
    private volatile long counted;
    private volatile long countedAtMillis;

    public QueueDepth(JobStore store, long refreshMillis) {
        this.store = store;
        this.refreshMillis = refreshMillis;
    }

    public long current() {
        long now = System.currentTimeMillis();
        if (now - countedAtMillis >= refreshMillis) {
            // One caller recounts; the others go on with the estimate instead of queueing behind a
            // database round trip (which, with a native driver, would hold their carriers too).
            if (refreshing.tryLock()) {
                try {
                    if (now - countedAtMillis >= refreshMillis) {
                        added.set(0);
                        counted = store.countQueued();
                        countedAtMillis = now;
                    }
                } finally {
                    refreshing.unlock();
                }
            }
        }
        return counted + added.get();
    }

    public void jobQueued() {
        added.incrementAndGet();
    }
}
