package io.jobpool.config;

import io.jobpool.job.BatchService;
import io.jobpool.job.BatchStore;
import io.jobpool.job.OncePerOutage;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Deletes batches (with their chunk jobs) that finished longer than the results TTL ago, and
 * finishes cancels a stopped replica left half done.
 */
final class BatchExpiry implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(BatchExpiry.class);
    private static final int PER_ROUND = 100;

    private final BatchStore store;
    private final BatchService batches;
    private final Duration ttl;
    private final Duration period;
    private final Clock clock;
    private ScheduledExecutorService schedule;
    private final OncePerOutage cancelFailures;
    private final OncePerOutage expiryFailures;

    BatchExpiry(BatchStore store, BatchService batches, Duration ttl, Duration period, Clock clock) {
        this.store = store;
        this.batches = batches;
        this.ttl = ttl;
        this.period = period;
        this.clock = clock;
        this.cancelFailures = new OncePerOutage(log,
                "Finishing batch cancels left undone failed ({}); trying again every " + period.toSeconds() + " s");
        this.expiryFailures = new OncePerOutage(log, "Deleting expired batches failed ({}); trying again every " + period.toSeconds() + " s");
    }

    @Override
    public synchronized void start() {
        schedule = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("jobpool-batch-expiry").daemon().factory());
        schedule.scheduleWithFixedDelay(this::deleteExpired, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
        schedule.scheduleWithFixedDelay(this::finishLeftCancels, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A cancel still under way after a whole period is one whose replica stopped. */
    private void finishLeftCancels() {
        try {
            batches.finishLeftCancels(clock.instant().minus(period));
            cancelFailures.succeeded();
        } catch (RuntimeException e) {
            // The store out of reach: once per outage, as the other duties; anything else with its trace.
            cancelFailures.failed(e);
        }
    }

    private void deleteExpired() {
        try {
            int deleted;
            do {
                deleted = store.deleteFinishedBefore(clock.instant().minus(ttl), PER_ROUND);
                if (deleted > 0) {
                    log.info("Deleted {} finished batch(es) older than jobpool.results.ttl={}", deleted, ttl);
                }
            } while (deleted == PER_ROUND);
            expiryFailures.succeeded();
        } catch (RuntimeException e) {
            expiryFailures.failed(e);
        }
    }

    @Override
    public synchronized void stop() {
        if (schedule != null) {
            schedule.shutdownNow();
            schedule = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return schedule != null;
    }
}
