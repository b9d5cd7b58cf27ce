package io.jobpool.job;

import java.util.concurrent.locks.ReentrantLock;

/**
 * How many jobs are queued, for back-pressure and the {@code jobpool_queue_depth} gauge.
 *
 * <p>Counting rows on every submission would cost more than the insert, so the count is read
 * from the store at most every {@code refreshMillis}, and what this node queued since is added on
 * top. A submission takes its place with {@link #tryReserve} before its insert and keeps it until
 * the insert is done ({@link #queued}) or came to nothing ({@link #release}): checking first and
 * counting after the insert let 20 concurrent submissions put 11 jobs in a queue of 3.
 *
 * <p>The estimate errs high (claims since the count are not subtracted), so on one node the
 * capacity is never overrun; the store is counted while no insert of this node is under way, so
 * a job is not counted twice (by the store and among this node's additions). Jobs other replicas
 * queued since the last count are not seen: a burst spread over several replicas can pass the
 * bound by what the others queued within one refresh interval.
 */
public final class QueueDepth {

    /**
     * Under a steady stream of submissions some insert is always under way; then the count is
     * taken anyway after this long, and may count those few inserts twice until the next one.
     */
    private static final long MAX_DIRTY_MILLIS = 2_000;

    private final JobStore store;
    private final long refreshMillis;
    /** Guards the counts below; held only for arithmetic, never across a store call. */
    private final ReentrantLock lock = new ReentrantLock();
    private final ReentrantLock refreshing = new ReentrantLock();
    private long counted;
    private long added;
    private long reserved;
    /** Places ever reserved: a count that ran while one was taken may include its job twice. */
    private long reservations;
    private volatile long countedAtMillis;
    /** Recounts asked for: a count that was under way when one was asked may have missed what changed. */
    private final java.util.concurrent.atomic.AtomicLong recountsAsked = new java.util.concurrent.atomic.AtomicLong();

    public QueueDepth(JobStore store, long refreshMillis) {
        this.store = store;
        this.refreshMillis = refreshMillis;
    }

    /** The estimate: the store's last count, what this node queued since, and the places taken for inserts under way. */
    public long current() {
        refreshIfDue();
        lock.lock();
        try {
            return counted + added + reserved;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The {@code jobpool_queue_depth} gauge: the estimate less the queued jobs not due yet (a
     * {@code delaySeconds}, a retry's back-off). Those take the queue's capacity but no worker can
     * run them: counted, a job delayed until tomorrow scaled the deployment up (KEDA) and raised
     * the queue-not-draining alert on an idle service. Counted in the store at each scrape; a
     * store that cannot be read throws (the gauge shows no value): the estimate alone would count
     * delayed jobs as due, and an autoscaler would add replicas for jobs none can run.
     */
    public long due(java.time.Instant now) {
        long notDue = store.countQueuedNotDue(now);
        return Math.max(0, current() - notDue);
    }

    /** Takes {@code places} in the queue for jobs about to be inserted; false, taking none, if they do not fit in {@code capacity}. */
    public boolean tryReserve(int places, long capacity) {
        refreshIfDue();
        lock.lock();
        try {
            if (counted + added + reserved + places > capacity) {
                return false;
            }
            reserved += places;
            reservations++;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The inserts of reserved places committed: the jobs are queued. */
    public void queued(int places) {
        lock.lock();
        try {
            reserved -= places;
            added += places;
        } finally {
            lock.unlock();
        }
    }

    /** Reserved places whose jobs were not queued (the insert failed, or the job went straight to a worker). */
    public void release(int places) {
        lock.lock();
        try {
            reserved -= places;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Jobs left the queue other than by a claim (cancelled, a pool terminated): the next reader
     * counts the store again. The estimate only errs high, so without this the places they freed
     * stayed taken until the next count, and a submission right after a cancel that answered 200
     * got 429 queue-full for room that was there.
     */
    public void recount() {
        recountsAsked.incrementAndGet();
        countedAtMillis = 0;
    }

    private void refreshIfDue() {
        long now = System.currentTimeMillis();
        // One caller recounts; the others go on with the estimate instead of queueing behind a
        // database round trip (which, with a native driver, would hold their carriers too).
        if (now - countedAtMillis < refreshMillis || !refreshing.tryLock()) {
            return;
        }
        try {
            if (now - countedAtMillis < refreshMillis) {
                return;
            }
            long addedBefore;
            long reservationsBefore;
            long recountsBefore = recountsAsked.get();
            lock.lock();
            try {
                if (reserved > 0 && now - countedAtMillis < MAX_DIRTY_MILLIS) {
                    // An insert under way may commit while the count runs and then be counted
                    // twice (by the store and in `added`): count when none is, within bounds.
                    return;
                }
                addedBefore = added;
                reservationsBefore = reservations;
            } finally {
                lock.unlock();
            }
            long count = store.countQueued();
            lock.lock();
            try {
                if (reservations != reservationsBefore && now - countedAtMillis < MAX_DIRTY_MILLIS) {
                    return;
                }
                counted = count;
                added -= addedBefore;
            } finally {
                lock.unlock();
            }
            if (recountsAsked.get() == recountsBefore) {
                countedAtMillis = now;
            }
        } finally {
            refreshing.unlock();
        }
    }
}
