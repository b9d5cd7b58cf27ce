package io.jobpool.node;

import io.jobpool.job.Job;
import io.jobpool.job.JobError;
import io.jobpool.job.JobStore;
import io.jobpool.metrics.JobMetrics;
import io.jobpool.pool.Assignment;
import io.jobpool.pool.Pools;
import io.jobpool.pool.WorkerPool;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import io.jobpool.job.LocalNode;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims due jobs for idle workers. It takes one permit per idle worker from the pool, claims that
 * many jobs in one transaction, and hands them over; permits it could not fill go back. With
 * nothing due it sleeps until {@link Wakeups} rings (any replica queued jobs, or freed a capped
 * task's place), until the next delayed job or retry is due, or at most the poll interval, a
 * fallback for a lost message.
 *
 * <p>Each runtime's pool has a claiming thread of its own that takes only the tasks that pool's
 * workers registered ({@link TaskRouting}), so a busy Java pool never holds up Python jobs.
 */
public final class Dispatcher {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    /** Pause after a failed claim (the store unreachable), independent of the long fallback poll. */
    private static final Duration ERROR_BACKOFF = Duration.ofSeconds(1);

    private final io.jobpool.job.OncePerOutage claimFailures = new io.jobpool.job.OncePerOutage(log,
            "Claiming jobs failed ({}); this node claims none until the store answers, trying again every second");

    private final JobStore store;
    private final TaskRouting routing;
    private final RunningJobs running;
    private final JobMetrics metrics;
    private final String node;
    private final Duration lease;
    private final Duration pollInterval;
    private final Clock clock;
    private final Wakeups wakeups;
    private final List<Thread> threads;
    /** Dispatcher threads blocked until a worker is free, and only those: {@link #stop} interrupts them. */
    private final java.util.Set<Thread> waitingForWorker = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final List<WorkerPool> pools;
    private final java.util.Map<WorkerPool, Wakeups.Bell> bells = new java.util.IdentityHashMap<>();
    private volatile boolean stopping;

    public Dispatcher(JobStore store, Pools pools, RunningJobs running, JobMetrics metrics, Wakeups wakeups,
            String node, Duration lease, Duration pollInterval, Clock clock) {
        this.wakeups = wakeups;
        this.store = store;
        this.routing = new TaskRouting(pools);
        this.running = running;
        this.metrics = metrics;
        this.node = node;
        this.lease = lease;
        this.pollInterval = pollInterval;
        this.clock = clock;
        this.pools = pools.all();
        pools.all().forEach(pool -> bells.put(pool, wakeups.bell()));
        this.threads = pools.all().stream()
                .map(pool -> Thread.ofPlatform().name("jobpool-dispatcher-" + pool.runtime()).daemon().unstarted(() -> loop(pool)))
                .toList();
    }

    public void start() {
        threads.forEach(Thread::start);
    }

    /**
     * Stops claiming; jobs already handed to the pool are the pool's. A dispatcher waiting for a
     * free worker is interrupted: with every worker busy it sat out the poll interval (5 s), and
     * the shutdown grace of the running jobs began only after it. One that is claiming is not (an
     * interrupt inside JDBC may cost the connection); it sees {@code stopping} before it claims again.
     */
    public void stop() {
        stopping = true;
        wakeups.jobsAvailable();
        // stopping is written before the set is read, and a thread leaves the set before it reads
        // stopping: one interrupted here has not claimed and will not.
        waitingForWorker.forEach(Thread::interrupt);
        for (Thread thread : threads) {
            try {
                thread.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void loop(WorkerPool pool) {
        Semaphore slots = pool.slots();
        Wakeups.Bell bell = bells.get(pool);
        while (!stopping) {
            try {
                boolean free;
                waitingForWorker.add(Thread.currentThread());
                try {
                    free = slots.tryAcquire(pollInterval.toMillis(), TimeUnit.MILLISECONDS);
                } finally {
                    waitingForWorker.remove(Thread.currentThread());
                }
                if (!free) {
                    continue;
                }
                int wanted = 1 + slots.drainPermits();
                int claimed = 0;
                Instant claimedAt = clock.instant();
                try {
                    claimed = stopping ? 0 : claim(pool, wanted, claimedAt);
                    claimFailures.succeeded();
                } finally {
                    // Also when the claim failed: the workers are still free.
                    if (claimed < wanted) {
                        slots.release(wanted - claimed);
                    }
                }
                if (claimed == 0) {
                    bell.await(idleWait(claimedAt));
                }
            } catch (InterruptedException e) {
                if (stopping) {
                    break; // woken by stop()
                }
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                // The store out of reach: once per outage, not a trace a second while it lasts.
                claimFailures.failed(e);
                sleepQuietly(ERROR_BACKOFF);
            } catch (LinkageError | AssertionError e) {
                log.error("Claiming jobs failed; retrying in {} ms", ERROR_BACKOFF.toMillis(), e);
                sleepQuietly(ERROR_BACKOFF);
            }
        }
        log.info("Dispatcher stopped claiming jobs for the {} pool", pool.runtime());
    }

    private int claim(WorkerPool pool, int wanted, Instant now) {
        List<Job> jobs = store.claim(node, wanted, now, now.plus(lease), routing.filterFor(pool));
        for (Job job : jobs) {
            handOver(pool, job, now);
        }
        return jobs.size();
    }

    private void handOver(WorkerPool pool, Job job, Instant now) {
        running.add(job);
        metrics.queueWait(job.task(), Duration.between(job.scheduledAt(), now));
        // A batch's chunk carries its previous attempt's per-item outcomes, so items that succeeded are not re-run.
        pool.submit(new Assignment(job.id(), job.task(), job.args(), job.kwargs(), job.attempts(), job.timeout(),
                job.batchId() != null, job.batchId() != null ? job.result() : null));
    }

    /**
     * Takes an idle worker's permit for a job of {@code task} being submitted, from the pool whose
     * workers run that task. The permit is the same one this dispatcher claims with, so a worker
     * is never promised twice; while this node stops, no worker is handed out.
     */
    Optional<LocalNode.WorkerReservation> reserveIdleWorker(String task) {
        if (stopping) {
            return Optional.empty();
        }
        for (WorkerPool pool : pools) {
            if (routing.filterFor(pool).matches(task)) {
                return pool.slots().tryAcquire() ? Optional.of(new Reservation(this, pool, clock.instant().plus(lease))) : Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** An idle worker's permit, held for the job being submitted. */
    private record Reservation(Dispatcher dispatcher, WorkerPool pool, Instant leaseUntil) implements LocalNode.WorkerReservation {

        @Override
        public void start(Job job) {
            dispatcher.handOver(pool, job, job.scheduledAt());
        }

        @Override
        public void release() {
            pool.slots().release();
        }
    }

    /**
     * Until the next queued job is due, at most the poll interval. Measured from the claim that
     * came back empty: a job that became due between that claim and now is claimed at once. (Taken
     * from now, such a job looked already due and the loop slept a whole poll interval: delayed
     * jobs and retries started up to 5 s late on idle workers.) Jobs due at the claim that it did
     * not take are another pool's, or capped; the poll interval rechecks them.
     */
    private Duration idleWait(Instant claimedAt) {
        Instant now = clock.instant();
        return store.nextDueAfter(claimedAt)
                .map(due -> due.isAfter(now) ? Duration.between(now, due) : Duration.ZERO)
                .filter(untilDue -> untilDue.compareTo(pollInterval) < 0)
                .orElse(pollInterval);
    }

    private static void sleepQuietly(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
