package io.jobpool.webhook;

import io.jobpool.job.OncePerOutage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Sends due deliveries. One loop thread claims as many due rows as there are free send slots
 * ({@code jobpool.webhooks.concurrency}) and hands each to a virtual thread; it sleeps until it is
 * woken (a delivery was committed, a slot came free), the earliest retry it knows of is due, or the
 * poll interval passes (retries scheduled by other replicas). Jobs never wait for any of this: the
 * job path only inserts a row.
 */
final class DeliveryWorker implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(DeliveryWorker.class);
    private static final Duration CLEANUP_EVERY = Duration.ofMinutes(1);
    private static final int CLEANUP_BATCH = 500;

    private final DeliveryStore store;
    private final WebhookSender sender;
    private final RetryPolicy retries;
    private final DeliveryMetrics metrics;
    private final Settings settings;
    private final Clock clock;
    private final Semaphore slots;
    private final Semaphore bell = new Semaphore(0);
    private final AtomicLong nextDueMillis = new AtomicLong(Long.MAX_VALUE);
    private final ExecutorService senders = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("jobpool-webhook-", 0).factory());
    private final Thread loop = Thread.ofPlatform().name("jobpool-webhooks").daemon().unstarted(this::run);
    private volatile boolean running;
    private Instant nextCleanup = Instant.MIN;
    private final OncePerOutage failures;

    /**
     * @param lease how long a claim lasts; longer than the longest attempt
     * @param stopGrace how long attempts in flight may finish at shutdown
     * @param retention how long final deliveries are kept ({@code jobpool.results.ttl})
     * @param embedded the store is this process's own file (SQLite, or H2), so leases found at start are stale
     */
    record Settings(int concurrency, Duration lease, Duration stopGrace, Duration pollInterval, Duration retention,
            boolean embedded) {}

    DeliveryWorker(DeliveryStore store, WebhookSender sender, RetryPolicy retries, DeliveryMetrics metrics, Settings settings,
            Clock clock) {
        this.store = store;
        this.sender = sender;
        this.retries = retries;
        this.metrics = metrics;
        this.settings = settings;
        this.clock = clock;
        this.slots = new Semaphore(settings.concurrency());
        this.failures = new OncePerOutage(log, "Webhook deliveries could not be read or recorded ({}); owed deliveries stay"
                + " stored and are sent once the store answers again, tried every " + settings.pollInterval().toMillis() + " ms");
    }

    /** Something may be due now: a delivery was committed or re-queued, or a send slot came free. */
    void wake() {
        if (bell.availablePermits() == 0) {
            bell.release();
        }
    }

    private void wakeAt(Instant due) {
        nextDueMillis.accumulateAndGet(due.toEpochMilli(), Math::min);
        wake();
    }

    @Override
    public void start() {
        if (settings.embedded()) {
            int released = store.releaseLeases();
            if (released > 0) {
                log.info("Released {} webhook deliveries a previous run was sending; they are sent again now", released);
            }
        }
        running = true;
        loop.start();
        log.info("Webhook delivery worker started: {} at a time, {} attempts per delivery", settings.concurrency(),
                retries.maxAttempts());
    }

    private void run() {
        while (running) {
            try {
                awaitWork();
                if (running) {
                    sendDue();
                    cleanUp();
                    failures.succeeded();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                failures.failed(e);
                try {
                    // A store out of reach fails at once: without this pause a delivery already due
                    // (awaitWork does not wait then) would be tried again in a tight loop.
                    TimeUnit.MILLISECONDS.sleep(settings.pollInterval().toMillis());
                } catch (InterruptedException stopped) {
                    return;
                }
            }
        }
    }

    private void awaitWork() throws InterruptedException {
        long untilDue = nextDueMillis.get() - clock.millis();
        long wait = Math.max(0, Math.min(settings.pollInterval().toMillis(), untilDue));
        if (wait > 0) {
            bell.tryAcquire(wait, TimeUnit.MILLISECONDS);
        }
        bell.drainPermits();
        long now = clock.millis();
        nextDueMillis.getAndUpdate(due -> due <= now ? Long.MAX_VALUE : due);
    }

    /** Claims as many due deliveries as there are free slots, until nothing is due or no slot is free. */
    private void sendDue() {
        while (running) {
            int free = slots.drainPermits();
            if (free == 0) {
                return; // a finishing send frees its slot and wakes the loop
            }
            Instant now = clock.instant();
            List<DeliveryStore.Claim> claims;
            try {
                claims = store.claim(free, now, now.plus(settings.lease()));
            } catch (RuntimeException e) {
                slots.release(free);
                throw e;
            }
            slots.release(free - claims.size());
            for (DeliveryStore.Claim claim : claims) {
                senders.execute(() -> attempt(claim));
            }
            if (claims.size() < free) {
                return;
            }
        }
    }

    private void attempt(DeliveryStore.Claim claim) {
        Delivery delivery = claim.delivery();
        try {
            Instant at = clock.instant();
            AttemptResult result = sender.send(delivery);
            Instant now = clock.instant();
            RetryPolicy.Verdict verdict = retries.judge(claim.attempt(), result, now);
            DeliveryAttempt attempt = new DeliveryAttempt(claim.attempt(), at, result.took(), result.statusCode(), result.error());
            if (!record(claim, attempt, verdict, now)) {
                log.warn("Delivery {} attempt {} to {} ended ({}) after its lease ran out; the newer claim's attempt counts",
                        delivery.id(), claim.attempt(), delivery.url(), result.describe());
                return;
            }
            metrics.attempted(verdict.status());
            report(claim, result, verdict, now);
            if (verdict.status() == DeliveryStatus.PENDING) {
                wakeAt(verdict.nextAttemptAt());
            }
        } catch (InterruptedException e) {
            log.info("Delivery {} attempt {} to {} interrupted by shutdown; it is made again after restart",
                    delivery.id(), claim.attempt(), delivery.url());
        } catch (RuntimeException e) {
            if (io.jobpool.job.StoreErrors.outOfReach(e)) {
                log.warn("Delivery {} attempt {} to {} could not be recorded before its lease ran out at {} ({}); the attempt is"
                        + " made again with the same webhook-id", delivery.id(), claim.attempt(), delivery.url(), claim.leaseUntil(),
                        e.toString());
            } else {
                log.error("Delivery {} attempt {} to {} could not be recorded; its lease runs out at {} and the attempt is made again",
                        delivery.id(), claim.attempt(), delivery.url(), claim.leaseUntil(), e);
            }
        } finally {
            slots.release();
            wake();
        }
    }

    private static final long FIRST_PAUSE_MILLIS = 250;

    /**
     * Records an attempt's outcome, trying again while the store is out of reach and the claim's
     * lease lasts: a receiver that answered 2xx during a database blip was otherwise sent the same
     * event again once the lease ran out.
     */
    private boolean record(DeliveryStore.Claim claim, DeliveryAttempt attempt, RetryPolicy.Verdict verdict, Instant now)
            throws InterruptedException {
        long pauseMillis = FIRST_PAUSE_MILLIS;
        while (true) {
            try {
                return store.record(claim, attempt, verdict, now);
            } catch (RuntimeException e) {
                if (!io.jobpool.job.StoreErrors.outOfReach(e) || !clock.instant().plusMillis(pauseMillis).isBefore(claim.leaseUntil())) {
                    throw e;
                }
                if (pauseMillis == FIRST_PAUSE_MILLIS) {
                    log.warn("Delivery {} attempt {}: its outcome could not be recorded yet ({}); trying again until its lease"
                            + " runs out at {}", claim.delivery().id(), claim.attempt(), e.toString(), claim.leaseUntil());
                } else {
                    log.debug("Delivery {} attempt {}: outcome not recorded yet ({}); trying again in {} ms", claim.delivery().id(),
                            claim.attempt(), e.toString(), pauseMillis);
                }
                Thread.sleep(pauseMillis);
                pauseMillis = Math.min(pauseMillis * 2, 4_000);
            }
        }
    }

    private void report(DeliveryStore.Claim claim, AttemptResult result, RetryPolicy.Verdict verdict, Instant now) {
        Delivery d = claim.delivery();
        switch (verdict.status()) {
            case DELIVERED -> log.info("Delivery {} ({} for {} {}) to {} delivered: HTTP {} in {} ms on attempt {}", d.id(),
                    d.eventType(), d.subjectType(), d.subjectId(), d.url(), result.statusCode(), result.took().toMillis(),
                    claim.attempt());
            case STOPPED -> log.info("Delivery {} ({} for {} {}) to {} answered 410 Gone on attempt {}; no more attempts",
                    d.id(), d.eventType(), d.subjectType(), d.subjectId(), d.url(), claim.attempt());
            case FAILED -> log.warn("Delivery {} ({} for {} {}) to {} failed with {}; gave up after attempt {} of {}", d.id(),
                    d.eventType(), d.subjectType(), d.subjectId(), d.url(), result.describe(), claim.attempt(),
                    retries.maxAttempts());
            case PENDING -> log.info("Delivery {} ({} for {} {}) to {} failed with {}; attempt {} of {} in {} ms", d.id(),
                    d.eventType(), d.subjectType(), d.subjectId(), d.url(), result.describe(), claim.attempt() + 1,
                    Math.max(retries.maxAttempts(), claim.attempt() + 1),
                    Duration.between(now, verdict.nextAttemptAt()).toMillis());
        }
    }

    /** Final deliveries are kept as long as finished jobs ({@code jobpool.results.ttl}), then deleted. */
    private void cleanUp() {
        Instant now = clock.instant();
        if (now.isBefore(nextCleanup)) {
            return;
        }
        nextCleanup = now.plus(CLEANUP_EVERY);
        int deleted;
        do {
            deleted = store.deleteFinishedBefore(now.minus(settings.retention()), CLEANUP_BATCH);
            if (deleted > 0) {
                log.info("Deleted {} final webhook deliveries older than {}", deleted, settings.retention());
            }
        } while (deleted == CLEANUP_BATCH && running);
    }

    @Override
    public void stop() {
        if (!running) {
            return;
        }
        running = false;
        wake();
        try {
            loop.join(Duration.ofSeconds(10));
            senders.shutdown();
            // An attempt cut short is made again after restart (its lease is released or runs out).
            Duration grace = settings.stopGrace();
            if (!senders.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("Webhook attempts still running after {} s are interrupted; they are made again after restart",
                        grace.toSeconds());
                senders.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            senders.shutdownNow();
        }
        sender.close();
        log.info("Webhook delivery worker stopped; pending deliveries stay in the outbox");
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /**
     * Stops after the worker pool (lower phases stop later), so events of jobs that finish during
     * the shutdown grace can still be sent; starts before it.
     */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 4096;
    }
}
