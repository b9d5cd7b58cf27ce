package io.jobpool.node;

import io.jobpool.job.ChunkItems;
import io.jobpool.job.Job;
import io.jobpool.job.JobError;
import io.jobpool.job.JobStatus;
import io.jobpool.job.JobStore;
import io.jobpool.job.JobTransition;
import io.jobpool.job.LogText;
import io.jobpool.job.JobWaiters;
import io.jobpool.job.WorkSignal;
import io.jobpool.metrics.JobMetrics;
import io.jobpool.pool.JobOutcome;
import io.jobpool.pool.PoolListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what the pool reports into the job's next state: final, or back to the queue for a retry
 * or after a shutdown. The supervisor must never wait on the database, so each outcome is written
 * on its own virtual thread. A write that fails (the database is unreachable) is retried until it
 * is stored, and the job stays in {@link RunningJobs} (its lease renewed) until then, so an outage
 * neither loses the result nor runs the job twice.
 */
public final class JobCompletion implements PoolListener {

    private static final Logger log = LoggerFactory.getLogger(JobCompletion.class);
    private static final Duration MAX_BACKOFF = Duration.ofHours(1);
    private static final Duration PROGRESS_INTERVAL = Duration.ofMillis(500);
    /** Longest wait between two attempts to store an outcome while the database is out of reach. */
    private static final Duration MAX_RECORD_BACKOFF = Duration.ofSeconds(2);

    /** The latest report per running job, written with its final state so the last one always lands. */
    private final java.util.Map<String, Job.Progress> latestProgress = new java.util.concurrent.ConcurrentHashMap<>();

    /** Reports not stored yet, per running job; {@link #storeProgress} takes them every {@link #PROGRESS_INTERVAL}. */
    private final java.util.Map<String, Job.Progress> unstoredProgress = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Workers' pids of jobs that have not stored them yet; {@link #storeWorkerPids} takes them every
     * {@link #PROGRESS_INTERVAL}. Another replica asked for a running job knows its pid only from the
     * store; a job that ends before the tick stores it with its final state instead.
     */
    private final java.util.Map<String, Long> unstoredPids = new java.util.concurrent.ConcurrentHashMap<>();

    private final ScheduledExecutorService progressWriter = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("jobpool-progress").daemon().factory());

    private final JobStore store;
    private final RunningJobs running;
    private final JobWaiters waiters;
    private final WorkSignal workSignal;
    private final JobMetrics metrics;
    private final ExecutorService writers;
    /** Successes handed to the store by {@link #recordSuccessWithoutWaiting} and not written yet; guarded by this. */
    private int unwritten;
    private final String node;
    private final Duration retryBackoff;
    private final Duration lease;
    private final Clock clock;

    public JobCompletion(JobStore store, RunningJobs running, JobWaiters waiters, WorkSignal workSignal,
            JobMetrics metrics, ExecutorService writers, String node, Duration retryBackoff, Duration lease, Clock clock) {
        this.lease = lease;
        this.store = store;
        this.running = running;
        this.waiters = waiters;
        this.workSignal = workSignal;
        this.metrics = metrics;
        this.writers = writers;
        this.node = node;
        this.retryBackoff = retryBackoff;
        this.clock = clock;
        progressWriter.scheduleWithFixedDelay(() -> {
            storeWorkerPids();
            storeProgress();
        }, PROGRESS_INTERVAL.toMillis(), PROGRESS_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops storing progress reports; outcomes already handed over are still written. */
    public void close() {
        progressWriter.shutdownNow();
    }

    /**
     * The job ended now, whenever its outcome gets written: its {@code finishedAt} is this moment,
     * not the end of a store outage that held the write up (a 6 s job that finished during a 20 s
     * outage showed 27 s of run time, in the API and in its webhook).
     */
    @Override
    public void jobFinished(JobOutcome outcome) {
        Instant endedAt = clock.instant();
        if (!(outcome instanceof JobOutcome.Succeeded succeeded && recordSuccessWithoutWaiting(succeeded, endedAt))) {
            writers.execute(() -> recordRetrying(outcome, endedAt));
        }
    }

    /**
     * The common outcome, a plain job that succeeded, is handed to the store's group commit without
     * a thread of its own waiting for it: what follows the commit runs on the committing thread.
     * That saves two thread hand-offs per job (to the waiting thread and back), measured as the
     * largest cost at low load. A batch chunk's outcome is not plain (its items decide whether it
     * is retried), and a failed write is recorded again the usual way, with retries.
     *
     * @return false if the outcome is not plain and must be recorded the usual way
     */
    private boolean recordSuccessWithoutWaiting(JobOutcome.Succeeded outcome, Instant now) {
        Job job = running.get(outcome.jobId()).orElse(null);
        if (job == null || job.batchId() != null) {
            return false;
        }
        running.finishing(job.id());
        JobTransition transition = JobTransition.succeeded(job.id(), node, outcome.result(), outcome.logs(), outcome.pid(), now)
                .withProgress(latestProgress.get(job.id()));
        writing();
        store.transitionAsync(transition).whenComplete((applied, failure) -> {
            try {
                if (failure != null) {
                    log.warn("Could not record the outcome of job {} ({}); retrying", job.id(), failure.toString());
                    try {
                        writers.execute(() -> recordRetrying(outcome, now));
                    } catch (java.util.concurrent.RejectedExecutionException stopped) {
                        log.error("Could not record the outcome of job {}: this node is stopping; its lease expires and it will be"
                                + " redelivered", job.id());
                    }
                    return;
                }
                succeeded(job, applied, outcome,
                        job.startedAt() == null ? null : Duration.between(job.startedAt(), now));
                forget(job.id());
                waiters.signal(job.id());
            } finally {
                written();
            }
        });
        return true;
    }

    private synchronized void writing() {
        unwritten++;
    }

    private synchronized void written() {
        if (--unwritten == 0) {
            notifyAll();
        }
    }

    /**
     * Waits, at most {@code timeout}, until every success handed to the store without a waiting
     * thread is written (or, if its write failed, handed to the outcome writers): a stopping node
     * waits for this before it stops those writers and closes the store.
     *
     * @return false if some were still unwritten at the timeout
     */
    public synchronized boolean awaitWritten(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (unwritten > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /** Counts and logs a success once its write came back: {@code applied} false if the job had moved on meanwhile. */
    private void succeeded(Job job, boolean applied, JobOutcome.Succeeded outcome, Duration runTime) {
        String pidText = outcome.pid() == 0 ? "none" : Long.toString(outcome.pid());
        if (applied) {
            metrics.completed(job.task(), "succeeded", runTime);
            log.debug("Job {} SUCCEEDED: task {}, worker pid {}, {} ms", job.id(), job.task(), pidText, millis(runTime));
        } else {
            notApplied(job, runTime, "finished on worker pid " + pidText, outcome.pid(), outcome.logs());
        }
    }

    /**
     * An outcome whose write found the job moved on. Cancelled while its worker was finishing it,
     * the job is counted here: the cancel left the count to the node running it (see
     * {@code JobService.cancelUnfinished}), and the kill found no job on the worker to report,
     * so no one counted it (8 of 11,192 in a soak with batch cancels). Its worker is done with it,
     * which is recorded with what it printed, as for a kill: until then a capped task's place
     * stayed held (30 s) and the log empty. Taken back by another node after a lost lease, that
     * node counts it.
     */
    private void notApplied(Job job, Duration runTime, String what, long pid, String logs) {
        JobStatus stored = store.find(job.id()).map(Job::status).orElse(null);
        if (stored == JobStatus.CANCELLED) {
            metrics.completed(job.task(), "cancelled", runTime);
            recordCancelledWorker(job.id(), pid, logs);
            log.info("Job {} {} just as it was cancelled; it stays CANCELLED and its outcome is dropped", job.id(), what);
        } else {
            log.info("Job {} {} but had been taken back by another node ({} now); its outcome is dropped", job.id(), what, stored);
        }
    }

    /**
     * Writes the outcome until it is stored, however long the database stays out of reach: the job
     * stays in {@link RunningJobs}, so this node keeps renewing its lease meanwhile, and no live
     * replica takes it back (see {@link Leases}); the write is a compare-and-set on this node's
     * claim, so if the job was taken back after all it changes nothing. A write that fails for
     * another reason (it would fail again) is tried for twice the lease, then given up: the lease
     * runs out and the job is redelivered. A stopping node (this thread interrupted) gives up at once.
     */
    private void recordRetrying(JobOutcome outcome, Instant endedAt) {
        long backoffMillis = 100;
        long failingSince = System.nanoTime();
        long nextWarning = failingSince;
        while (true) {
            try {
                record(outcome, endedAt);
                return;
            } catch (RuntimeException e) {
                boolean stopping = Thread.currentThread().isInterrupted();
                if (stopping) {
                    forget(outcome.jobId());
                    log.warn("Could not record the outcome of job {}; abandoned as this node stops ({}): it will be"
                            + " redelivered after its lease runs out or this node restarts", outcome.jobId(), e.toString());
                    return;
                }
                if (!io.jobpool.job.StoreErrors.outOfReach(e) && System.nanoTime() - failingSince > lease.multipliedBy(2).toNanos()) {
                    forget(outcome.jobId());
                    log.error("Could not record the outcome of job {}; giving up (the store refuses it): its lease runs out and it"
                            + " will be redelivered", outcome.jobId(), e);
                    return;
                }
                long now = System.nanoTime();
                if (now - nextWarning >= 0) {
                    // One line at once and then one every half minute, not one per attempt of a long outage.
                    log.warn("Could not record the outcome of job {} for {} ms ({}); trying again every {} ms until it is stored",
                            outcome.jobId(), TimeUnit.NANOSECONDS.toMillis(now - failingSince), e.toString(), MAX_RECORD_BACKOFF.toMillis());
                    nextWarning = now + TimeUnit.SECONDS.toNanos(30);
                }
                try {
                    Thread.sleep(backoffMillis);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                }
                backoffMillis = Math.min(backoffMillis * 2, MAX_RECORD_BACKOFF.toMillis());
            }
        }
    }

    private void recordCancelledWorker(String jobId, long pid, String logs) {
        try {
            store.recordCancelledWorker(jobId, node, pid, logs);
        } catch (RuntimeException e) {
            log.warn("Could not record worker pid {} and the log on cancelled job {}; it shows neither: {}", pid, jobId,
                    e.toString());
        }
    }

    private void forget(String jobId) {
        unstoredPids.remove(jobId);
        unstoredProgress.remove(jobId);
        latestProgress.remove(jobId);
        running.remove(jobId);
    }

    /**
     * Keeps the report; {@link #storeProgress} stores it with the next tick. A task reporting in a
     * tight loop costs at most one write per job per {@link #PROGRESS_INTERVAL}, and a job that ends
     * before the tick (a batch chunk of quick items) none at all: its final state carries the last
     * report.
     */
    @Override
    public void jobProgress(String jobId, double fraction, String message) {
        Job.Progress progress = new Job.Progress(fraction, message);
        latestProgress.put(jobId, progress);
        unstoredProgress.put(jobId, progress);
    }

    @Override
    public void jobStarted(String jobId, long pid) {
        unstoredPids.put(jobId, pid);
    }

    /** Stores the pids of the jobs that workers took since the last tick and still run. */
    private void storeWorkerPids() {
        for (var started : unstoredPids.entrySet()) {
            String jobId = started.getKey();
            if (!unstoredPids.remove(jobId, started.getValue()) || !running.stillRunning(jobId)) {
                continue;
            }
            try {
                store.recordWorkerPid(jobId, node, started.getValue());
            } catch (RuntimeException e) {
                log.warn("Could not store the worker pid of running job {}; other replicas show it once the job ends: {}",
                        jobId, e.getMessage());
            }
        }
    }

    /** Stores the reports that came since the last tick, each job's latest. */
    private void storeProgress() {
        for (var report : unstoredProgress.entrySet()) {
            String jobId = report.getKey();
            Job.Progress progress = report.getValue();
            if (!unstoredProgress.remove(jobId, progress)) {
                continue; // a newer report came in meanwhile; the next tick stores that one
            }
            try {
                store.reportProgress(jobId, node, progress.fraction(), progress.message());
            } catch (RuntimeException e) {
                log.warn("Could not store progress of job {}; the next report will try again: {}", jobId, e.getMessage());
            }
        }
    }

    private void record(JobOutcome outcome, Instant now) {
        running.finishing(outcome.jobId());
        Job.Progress progress = latestProgress.get(outcome.jobId());
        Job job = running.get(outcome.jobId()).orElse(null);
        if (job == null) {
            log.warn("Outcome for job {} which this node does not run; ignored", outcome.jobId());
            return;
        }
        Duration runTime = job.startedAt() == null ? null : Duration.between(job.startedAt(), now);
        String pidText = outcome.pid() == 0 ? "none" : Long.toString(outcome.pid());
        switch (outcome) {
            case JobOutcome.Succeeded s -> {
                // A chunk's outcomes are read here, once, so the store's commit does not read them again.
                ChunkItems.Summary items = job.batchId() == null ? null : ChunkItems.summarize(s.result());
                JobError itemFailures = items == null ? null : items.failures();
                if (itemFailures != null && job.attempts() <= job.maxRetries()) {
                    retryChunk(job, itemFailures, s, now);
                } else {
                    boolean applied = store.transition((items == null
                            ? JobTransition.succeeded(job.id(), node, s.result(), s.logs(), s.pid(), now)
                            : JobTransition.chunkDone(job.id(), node, s.result(), itemFailures, items, s.logs(),
                                    s.pid(), now))
                            .withProgress(progress));
                    if (applied && itemFailures != null) {
                        // The chunk job ends SUCCEEDED (it ran every item), but its failed items are failures an operator looks for.
                        log.info("Job {} (a chunk of batch {}) ran its items on worker pid {} in {} ms, and some failed after {}"
                                        + " attempt(s): {}: {}; the batch's results list each", job.id(), job.batchId(), pidText,
                                millis(runTime), job.attempts(), LogText.of(itemFailures.type()), LogText.of(itemFailures.message()));
                    }
                    succeeded(job, applied, s, runTime);
                }
            }
            case JobOutcome.Failed f -> failed(job, new JobError(f.type(), f.message(), f.trace()), f.logs(), f.pid(), now, runTime,
                    progress);
            case JobOutcome.Cancelled c -> {
                // JobService.cancel already moved the job to CANCELLED before asking for the kill,
                // on whichever replica took the request; only this one knows the worker's pid and
                // what the task printed before it. The other reason for the kill: this node lost the
                // job (its lease ran out during a pause and it was redelivered), which is no
                // completion of this node's to count or report as a cancel.
                JobStatus stored = store.find(job.id()).map(Job::status).orElse(JobStatus.CANCELLED);
                if (stored == JobStatus.QUEUED || stored == JobStatus.RUNNING) {
                    log.warn("Job {}: worker pid {} killed after {} ms; this node had lost the job (its lease ran out) and it"
                            + " was redelivered ({} now, on another node or waiting for one)", job.id(), pidText, millis(runTime),
                            stored);
                } else if (stored != JobStatus.CANCELLED) {
                    // Its redeliveries used up (WorkerLostError), or another node's run of it finished first.
                    log.warn("Job {}: worker pid {} killed after {} ms; this node had lost the job (its lease ran out) and it"
                            + " has ended meanwhile ({}); nothing runs it now", job.id(), pidText, millis(runTime), stored);
                } else {
                    recordCancelledWorker(job.id(), c.pid(), c.logs());
                    metrics.completed(job.task(), "cancelled", runTime);
                    if (outcome.pid() == 0) {
                        // Claimed ahead (pool.prefetch), it waited for a worker of this node: none ran it, none was killed.
                        log.info("Job {} CANCELLED: task {}, while it waited for a worker of this node; no worker ran it", job.id(),
                                job.task());
                    } else {
                        log.info("Job {} CANCELLED: task {}, worker pid {} killed after {} ms", job.id(), job.task(), pidText,
                                millis(runTime));
                    }
                }
            }
            case JobOutcome.Interrupted i -> {
                if (store.transition(JobTransition.interrupted(job.id(), node))) {
                    log.info("Job {} put back in the queue: interrupted by shutdown on worker pid {}", job.id(), pidText);
                }
            }
        }
        forget(job.id());
        waiters.signal(job.id());
    }

    private void failed(Job job, JobError error, String logs, long pid, Instant now, Duration runTime, Job.Progress progress) {
        Long workerPid = pid == 0 ? null : pid;
        if (job.attempts() <= job.maxRetries()) {
            Duration delay = backoff(job.attempts());
            if (store.transition(JobTransition.retry(job.id(), node, error, logs, workerPid, now.plus(delay)))) {
                log.info("Job {} failed ({}: {}) on attempt {} of {}; retrying in {} ms", job.id(), LogText.of(error.type()),
                        LogText.of(error.message()), job.attempts(), job.maxRetries() + 1, delay.toMillis());
                workSignal.jobsAvailable();
            } else {
                notApplied(job, runTime, "failed on worker pid " + pid, pid, logs);
            }
            return;
        }
        if (store.transition(JobTransition.failed(job.id(), node, error, logs, workerPid, now).withProgress(progress))) {
            metrics.completed(job.task(), "failed", runTime);
            log.info("Job {} FAILED: task {}, worker pid {}, {} ms, {}: {}", job.id(), job.task(), pid == 0 ? "none" : pid,
                    millis(runTime), LogText.of(error.type()), LogText.of(error.message()));
        } else {
            notApplied(job, runTime, "failed on worker pid " + pid, pid, logs);
        }
    }

    /** Runs the failed items of a chunk again after the back-off; the items that succeeded keep their results. */
    private void retryChunk(Job job, JobError error, JobOutcome.Succeeded outcome, Instant now) {
        Duration delay = backoff(job.attempts());
        if (store.transition(JobTransition.retryChunk(job.id(), node, error, outcome.result(), outcome.logs(), outcome.pid(),
                now.plus(delay)))) {
            log.info("Chunk job {} of batch {}: {} on attempt {} of {}; retrying those items in {} ms", job.id(), job.batchId(),
                    LogText.of(error.message()), job.attempts(), job.maxRetries() + 1, delay.toMillis());
            workSignal.jobsAvailable();
        } else {
            notApplied(job, job.startedAt() == null ? null : Duration.between(job.startedAt(), now), "finished on worker pid "
                    + outcome.pid(), outcome.pid(), outcome.logs());
        }
    }

    /** Exponential back-off with jitter: base * 2^(attempt-1) up to an hour, scaled by a random 50-100%. */
    private Duration backoff(int attempt) {
        int doublings = Math.min(attempt - 1, 30);
        long baseMillis = retryBackoff.toMillis();
        // A base past the cap once doubled is the cap (a shift would overflow for bases of months).
        long capped = baseMillis > MAX_BACKOFF.toMillis() >> doublings ? MAX_BACKOFF.toMillis()
                : Math.min(baseMillis << doublings, MAX_BACKOFF.toMillis());
        return Duration.ofMillis(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
    }

    private static long millis(Duration runTime) {
        return runTime == null ? 0 : runTime.toMillis();
    }
}
