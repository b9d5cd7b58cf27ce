package io.jobpool.job;

import io.jobpool.metrics.JobMetrics;
import io.jobpool.pool.PoolSnapshot;
import io.jobpool.pool.Pools;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the API does with jobs: submit ({@code apply_async}), read, wait ({@code AsyncResult.wait}),
 * cancel, forget. The store is the truth; this class never keeps job state of its own.
 */
public final class JobService {

    private static final Logger log = LoggerFactory.getLogger(JobService.class);

    /** Waiters re-read the store at least this often, so a job finished by another replica is seen. */
    private static final Duration RECHECK = Duration.ofSeconds(1);

    private final JobStore store;
    private final Pools pool;
    private final JobLimits limits;
    private final JobIds ids;
    private final JobWaiters waiters;
    private final WorkSignal workSignal;
    private final QueueDepth queueDepth;
    private final JobMetrics metrics;
    private final CallbackTargets callbackTargets;
    private final Clock clock;
    private volatile boolean accepting = true;

    public JobService(JobStore store, Pools pool, JobLimits limits, JobIds ids, JobWaiters waiters,
            WorkSignal workSignal, QueueDepth queueDepth, JobMetrics metrics, CallbackTargets callbackTargets,
            Clock clock) {
        this.store = store;
        this.pool = pool;
        this.limits = limits;
        this.ids = ids;
        this.waiters = waiters;
        this.workSignal = workSignal;
        this.queueDepth = queueDepth;
        this.metrics = metrics;
        this.callbackTargets = callbackTargets;
        this.clock = clock;
    }

    /** Result of a submission; {@code created} is false when an idempotent retry returned the first job. */
    public record Submitted(Job job, boolean created) {}

    public Submitted submit(Submission submission) {
        NewJob job = validate(submission);
        if (!accepting) {
            throw JobException.poolClosed();
        }
        if (queueDepth.current() >= limits.queueCapacity()) {
            throw JobException.queueFull(limits.queueCapacity());
        }
        JobStore.Inserted inserted = store.insert(job);
        if (!inserted.created()) {
            if (!job.requestHash().equals(inserted.requestHash())) {
                throw JobException.idempotencyConflict(submission.idempotencyKey(), inserted.job().id());
            }
            return new Submitted(inserted.job(), false);
        }
        queueDepth.jobQueued();
        metrics.submitted(job.task());
        log.info("Job {} QUEUED: task {}, priority {}{}", job.id(), job.task(), job.priority(),
                job.scheduledAt().isAfter(job.createdAt()) ? ", due " + job.scheduledAt() : "");
        workSignal.jobsAvailable();
        return new Submitted(inserted.job(), true);
    }

    private NewJob validate(Submission s) {
        List<JobException.FieldError> errors = new ArrayList<>();
        Duration timeout = s.timeout() == null ? limits.defaultTimeout() : s.timeout();
        if (s.timeout() != null && (s.timeout().isNegative() || s.timeout().isZero())) {
            errors.add(new JobException.FieldError("timeoutSeconds", "must be greater than 0"));
        } else if (timeout.compareTo(limits.maxTimeout()) > 0) {
            errors.add(new JobException.FieldError("timeoutSeconds",
                    "must be at most " + limits.maxTimeout().toSeconds() + " (jobpool.jobs.max-timeout)"));
        }
        if (s.delay().isNegative()) {
            errors.add(new JobException.FieldError("delaySeconds", "must not be negative"));
        } else if (s.delay().compareTo(limits.maxDelay()) > 0) {
            errors.add(new JobException.FieldError("delaySeconds", "must be at most " + limits.maxDelay().toSeconds()));
        }
        if (s.maxRetries() < 0 || s.maxRetries() > limits.maxRetries()) {
            errors.add(new JobException.FieldError("maxRetries", "must be between 0 and " + limits.maxRetries()));
        }
        if (!errors.isEmpty()) {
            throw JobException.validation(errors);
        }
        long payload = s.args().getBytes(StandardCharsets.UTF_8).length + s.kwargs().getBytes(StandardCharsets.UTF_8).length;
        if (payload > limits.maxPayloadBytes()) {
            throw JobException.payloadTooLarge("args and kwargs", payload, limits.maxPayloadBytes(), "jobpool.jobs.max-payload-bytes");
        }
        // Until every runtime's pool has had a worker ready its tasks are unknown; a job for a task
        // that no runtime registers then fails in a worker with UnknownTaskError.
        java.util.Optional<java.util.Set<String>> known = pool.knownTasks();
        if (known.isPresent() && !known.get().contains(s.task())) {
            throw JobException.unknownTask(s.task(), known.get().stream().sorted().toList());
        }
        // Last: it may resolve host names, the slowest check.
        callbackTargets.check("callbackUrl", s.callbackUrl());
        callbackTargets.check("errorCallbackUrl", s.errorCallbackUrl());
        Instant now = clock.instant();
        String key = s.idempotencyKey() == null ? null : (s.owner() == null ? "" : s.owner()) + ":" + s.idempotencyKey();
        return new NewJob(ids.next(), s.task(), s.args(), s.kwargs(), s.priority(), timeout, s.maxRetries(), now,
                now.plus(s.delay()), s.callbackUrl(), s.errorCallbackUrl(), s.owner(), key, hash(s, timeout));
    }

    private static String hash(Submission s, Duration timeout) {
        String canonical = String.join("\u0000", s.task(), s.args(), s.kwargs(), timeout.toString(),
                Integer.toString(s.priority()), s.delay().toString(), Integer.toString(s.maxRetries()),
                String.valueOf(s.callbackUrl()), String.valueOf(s.errorCallbackUrl()));
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public Job get(String id, String owner) {
        return store.find(id).filter(job -> owns(job, owner)).orElseThrow(() -> JobException.notFound(id));
    }

    private static boolean owns(Job job, String owner) {
        return owner == null || owner.equals(job.owner());
    }

    /**
     * Waits up to {@code timeout} for the job to finish and returns it as it then is. Blocks the
     * calling (virtual) thread; a finished job on this node wakes it at once.
     */
    public Job await(String id, String owner, Duration timeout) {
        Duration bounded = timeout.compareTo(limits.maxWait()) > 0 ? limits.maxWait() : timeout;
        long deadline = System.nanoTime() + bounded.toNanos();
        while (true) {
            CompletableFuture<Void> finished = waiters.register(id);
            Job job = get(id, owner);
            long remaining = deadline - System.nanoTime();
            if (job.ready() || remaining <= 0) {
                return job;
            }
            try {
                finished.get(Math.min(remaining, RECHECK.toNanos()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                waiters.unregister(id, finished);
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return get(id, owner);
            }
        }
    }

    /** Cancels a queued job, or kills the worker of a running one. */
    public Job cancel(String id, String owner) {
        while (true) {
            Job job = get(id, owner);
            if (job.ready()) {
                throw JobException.finished(job);
            }
            Instant now = clock.instant();
            if (store.transition(JobTransition.cancelled(id, job.status(), null, null, now))) {
                if (job.status() == JobStatus.RUNNING) {
                    // The worker's exit reports JobOutcome.Cancelled, which logs and counts it.
                    pool.cancel(id);
                } else {
                    metrics.completed(job.task(), "cancelled", null);
                    log.info("Job {} CANCELLED while queued: task {}", id, job.task());
                }
                waiters.signal(id);
                return get(id, owner);
            }
            // It changed state under us (claimed or finished): look again.
        }
    }

    /** {@code AsyncResult.forget()}: deletes a finished job and its result. */
    public void forget(String id, String owner) {
        Job job = get(id, owner);
        if (!job.ready()) {
            throw JobException.notReady(id);
        }
        if (!store.deleteFinished(id)) {
            throw JobException.notFound(id);
        }
    }

    /** What the job printed: so far, while it runs on this node; all of it once it finished. */
    public String logs(String id, String owner) {
        Job job = get(id, owner);
        if (job.status() == JobStatus.RUNNING) {
            try {
                java.util.Optional<String> live = pool.runningLogs(id).get(2, TimeUnit.SECONDS);
                if (live.isPresent()) {
                    return live.get();
                }
            } catch (ExecutionException | TimeoutException e) {
                log.warn("Could not read the live log of job {} ({}); answering with the stored one", id, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return store.logs(id).orElseThrow(() -> JobException.notFound(id));
    }

    public ListedJobs list(JobQuery query) {
        return store.list(query);
    }

    /** {@code Pool.close()}: refuse new submissions, keep running what is queued. */
    public void closePool() {
        accepting = false;
        log.info("Pool closed to new jobs; queued jobs keep running");
    }

    public void openPool() {
        accepting = true;
        log.info("Pool open to new jobs");
    }

    public boolean accepting() {
        return accepting;
    }

    public long queued() {
        return queueDepth.current();
    }

    /** The Java pool (the one there was before runtimes; its size sizes default batch chunks). */
    public PoolSnapshot pool() {
        return pool.primary().snapshot();
    }

    /** The workers of every runtime's pool on this node. */
    public List<PoolSnapshot.WorkerInfo> workers() {
        return pool.workers();
    }
}
