package io.jobpool.job;

import java.time.Duration;

/**
 * Whether the service accepts new jobs, as every replica must see it. The state lives in the
 * store; this keeps a copy that a {@link Broadcast.Topic#POOL_STATE} message or a resync drops at
 * once, and that is re-read at least every {@code maxAge} in case a message was lost.
 */
public final class PoolGate {

    private final JobStore store;
    private final long maxAgeNanos;
    private volatile PoolState cached;
    private volatile long readAt;
    private final java.util.concurrent.atomic.AtomicLong changes = new java.util.concurrent.atomic.AtomicLong();

    public PoolGate(JobStore store, Broadcast broadcast, Duration maxAge) {
        this.store = store;
        this.maxAgeNanos = maxAge.toNanos();
        broadcast.subscribe(Broadcast.Topic.POOL_STATE, payload -> invalidate());
        broadcast.onResync(this::invalidate);
    }

    public PoolState state() {
        PoolState state = cached;
        if (state == null || System.nanoTime() - readAt > maxAgeNanos) {
            // A change announced while the store is read may not be in what it returned: keep no copy then.
            long seen = changes.get();
            long started = System.nanoTime();
            state = store.poolState();
            if (changes.get() == seen) {
                readAt = started;
                cached = state;
            }
        }
        return state;
    }

    public boolean accepting() {
        if (state().accepting()) {
            return true;
        }
        // A refusal reads the store itself: an open on another replica counts at once, not when its
        // message arrives (a client that saw the open answered could be refused by a replica that had
        // not heard yet). Closed is rare, so the extra read is too.
        if (store.poolState().accepting()) {
            invalidate();
            return true;
        }
        return false;
    }

    /** Drops the copy, after this replica changed the state itself. */
    public void invalidate() {
        changes.incrementAndGet();
        cached = null;
    }
}
