package io.jobpool.job;

import io.jobpool.metrics.JobMetrics;
import io.jobpool.protocol.Message;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the API does with jobs: submit ({@code apply_async}), read, wait ({@code AsyncResult.wait}),
 * cancel, forget; and the pool verbs that act on every replica ({@code close}, {@code join},
 * {@code terminate}). The store is the truth; this class never keeps job state of its own, and it
 * reaches worker processes only through {@link LocalNode} (this replica's) or {@link Broadcast}
 * (whichever replica runs the job).
 */
public final class JobService {

    private static final Logger log = LoggerFactory.getLogger(JobService.class);

    /** How long a request for a running job's log waits for the replica running it to store it. */
    private static final Duration LIVE_LOG_WAIT = Duration.ofSeconds(2);
    /** How often a waiting request asks whether its caller is still there. */
    private static final Duration CALLER_CHECK = Duration.ofSeconds(1);
    /** Covers the worker's kill: SIGTERM, then SIGKILL after the default 2 s grace, and the record. */
    private static final Duration CANCELLED_LOG_WAIT = Duration.ofSeconds(5);

    private final JobStore store;
    private final LocalNode node;
    private final Broadcast broadcast;
    private final PoolGate gate;
    private final Duration recheck;
    private final JobLimits limits;
    private final JobIds ids;
    private final JobWaiters waiters;
    private final WorkSignal workSignal;
    private final QueueDepth queueDepth;
    private final JobMetrics metrics;
    private final CallbackTargets callbackTargets;
    private final Clock clock;

    /**
     * @param recheck how often a waiter re-reads the store if no message woke it: only a fallback
     *     for a lost {@link Broadcast} message, so it can be long
     */
    public JobService(JobStore store, LocalNode node, Broadcast broadcast, PoolGate gate, JobLimits limits, JobIds ids,
            JobWaiters waiters, WorkSignal workSignal, QueueDepth queueDepth, JobMetrics metrics,
            CallbackTargets callbackTargets, Duration recheck, Clock clock) {
        this.store = store;
        this.node = node;
        this.broadcast = broadcast;
        this.gate = gate;
        this.recheck = recheck;
        this.limits = limits;
        this.ids = ids;
        this.waiters = waiters;
        this.workSignal = workSignal;
        this.queueDepth = queueDepth;
        this.metrics = metrics;
        this.callbackTargets = callbackTargets;
        this.clock = clock;
        store.onFinished(waiters::finished);
        broadcast.subscribe(Broadcast.Topic.JOBS_FINISHED, payload -> Broadcast.ids(payload).forEach(waiters::signal));
        broadcast.subscribe(Broadcast.Topic.LOGS_STORED, payload -> Broadcast.ids(payload).forEach(id -> waiters.signal(logsKey(id))));
        broadcast.onResync(waiters::signalAll);
    }

    /** Whether the service (every replica) accepts new work: false after {@code close}. */
    public boolean accepting() {
        return gate.accepting();
    }

    /** Workers of this replica's pool that runs {@code task}, for choosing a batch's chunk size as {@code Pool.map} does. */
    public int localPoolSize(String task) {
        return node.poolSize(task);
    }

    /** Result of a submission; {@code created} is false when an idempotent retry returned the first job. */
    public record Submitted(Job job, boolean created) {}

    public Submitted submit(Submission submission) {
        return submit(validate(submission), submission);
    }

    /**
     * {@code apply}: submits and waits up to {@code wait} for the job to finish; the job as it then
     * is. The waiter is registered before the job is stored, so the first look at the store is the
     * one after the job's signal: an idle worker can finish it before the insert returns, and that
     * signal must not be missed, but a read in between could only find the job unfinished.
     */
    public Submitted submitAndWait(Submission submission, Duration wait, BooleanSupplier callerGone) {
        NewJob job = validate(submission);
        CompletableFuture<Job> finished = waiters.register(job.id());
        Submitted submitted;
        try {
            submitted = submit(job, submission);
        } catch (RuntimeException | Error e) {
            waiters.unregister(job.id(), finished);
            throw e;
        }
        if (!submitted.created()) {
            // An idempotent retry: the first job, under its own id, may be anywhere in its life.
            waiters.unregister(job.id(), finished);
            Job first = submitted.job();
            return first.ready() ? submitted
                    : new Submitted(awaitStored(first, submission.owner(), wait, null, callerGone), false);
        }
        return new Submitted(awaitStored(submitted.job(), submission.owner(), wait, finished, callerGone), true);
    }

    /**
     * Waits for a job that is already stored; if the wait fails (the store goes out of reach while
     * it re-reads the job), the job as stored. The job is committed: an error would tell a client
     * without an Idempotency-Key to send it again, and store it twice. The answer is the one
     * {@code ?wait} gives at its timeout, the job as it stands (202).
     */
    private Job awaitStored(Job stored, String owner, Duration wait, CompletableFuture<Job> registered,
            BooleanSupplier callerGone) {
        try {
            return await(stored.id(), owner, wait, registered, registered == null ? null : stored, callerGone);
        } catch (RuntimeException e) {
            if (registered != null) {
                waiters.unregister(stored.id(), registered);
            }
            if (StoreErrors.outOfReach(e)) {
                log.warn("Job {} is stored, but the store went out of reach while its submitter waited ({});"
                        + " answering with the job as stored", stored.id(), e.toString());
            } else {
                log.warn("Job {} is stored, but waiting for it failed; answering with the job as stored", stored.id(), e);
            }
            return stored;
        }
    }

    private Submitted submit(NewJob job, Submission submission) {
        if (!gate.accepting()) {
            return repeatOf(job, submission).orElseThrow(JobException::poolClosed);
        }
        // The job's place in the queue is taken before its insert, so concurrent submissions
        // cannot all see the last free place. A full queue refuses even a job an idle worker could take.
        if (!queueDepth.tryReserve(1, limits.queueCapacity())) {
            return repeatOf(job, submission).orElseThrow(() -> JobException.queueFull(limits.queueCapacity()));
        }
        // A worker of this node idle and the job due now: store it already claimed and hand it over.
        Optional<LocalNode.WorkerReservation> worker = job.scheduledAt().equals(job.createdAt()) && !store.capped(job.task())
                ? node.reserveIdleWorker(job.task()) : Optional.empty();
        JobStore.Inserted inserted;
        try {
            inserted = store.insert(worker.map(w -> job.claimedBy(node.id(), w.leaseUntil())).orElse(job));
        } catch (RuntimeException | Error e) {
            worker.ifPresent(LocalNode.WorkerReservation::release);
            queueDepth.release(1);
            throw e;
        }
        if (!inserted.created()) {
            worker.ifPresent(LocalNode.WorkerReservation::release);
            queueDepth.release(1);
            return repeat(job, submission, inserted);
        }
        metrics.submitted(job.task());
        if (worker.isPresent()) {
            queueDepth.release(1);
            log.debug("Job {} RUNNING at once on an idle worker of node {}: task {}", job.id(), node.id(), job.task());
            worker.get().start(inserted.job());
            return new Submitted(inserted.job(), true);
        }
        queueDepth.queued(1);
        // DEBUG: a line per job bounds throughput; failures, retries and cancels stay at INFO.
        log.debug("Job {} QUEUED: task {}, priority {}{}", job.id(), job.task(), job.priority(),
                job.scheduledAt().isAfter(job.createdAt()) ? ", due " + job.scheduledAt() : "");
        workSignal.jobsAvailable();
        return new Submitted(inserted.job(), true);
    }

    /**
     * A repeat of a request that was already accepted gets its job back even while new work is
     * refused (pool closed, queue full): the client is retrying something the service took.
     */
    private Optional<Submitted> repeatOf(NewJob job, Submission submission) {
        if (job.idempotencyKey() == null) {
            return Optional.empty();
        }
        return store.findByIdempotencyKey(job.idempotencyKey()).map(first -> repeat(job, submission, first));
    }

    /** The first job stored under the submission's key, or a conflict if that job came from another body. */
    private static Submitted repeat(NewJob job, Submission submission, JobStore.Inserted first) {
        if (!job.requestHash().equals(first.requestHash())) {
            throw JobException.idempotencyConflict(submission.idempotencyKey(), first.job().id());
        }
        return new Submitted(first.job(), false);
    }

    /** Checks a submission against the configured bounds; batches check their job options here too. */
    NewJob validate(Submission s) {
        List<JobException.FieldError> errors = new ArrayList<>();
        limits.checkOptions(errors, s.timeout(), s.delay(), s.maxRetries());
        if (!errors.isEmpty()) {
            throw JobException.validation(errors);
        }
        long payload = s.args().getBytes(StandardCharsets.UTF_8).length + s.kwargs().getBytes(StandardCharsets.UTF_8).length;
        if (payload > limits.maxPayloadBytes()) {
            throw JobException.payloadTooLarge("args and kwargs", payload, limits.maxPayloadBytes(), "jobpool.jobs.max-payload-bytes");
        }
        // Until every runtime's pool has had a worker ready its tasks are unknown; a job for a task
        // that no runtime registers then fails in a worker with UnknownTaskError.
        java.util.Optional<java.util.Set<String>> known = node.knownTasks();
        if (known.isPresent() && !known.get().contains(s.task())) {
            throw JobException.unknownTask(s.task(), known.get().stream().sorted().toList());
        }
        // Last: it may resolve host names, the slowest check.
        callbackTargets.check("callbackUrl", s.callbackUrl());
        callbackTargets.check("errorCallbackUrl", s.errorCallbackUrl());
        // Milliseconds, as stored: the 202 answer shows the same times a later GET does.
        Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        Duration timeout = s.timeout() == null ? limits.defaultTimeout() : s.timeout();
        String key = scopedKey(s.owner(), s.idempotencyKey());
        return new NewJob(ids.next(), s.task(), s.args(), s.kwargs(), s.priority(), timeout, s.maxRetries(), now,
                now.plus(s.delay()).truncatedTo(java.time.temporal.ChronoUnit.MILLIS), s.callbackUrl(), s.errorCallbackUrl(), s.owner(), key,
                // The hash only tells an idempotent retry from a conflicting request: none without a key.
                key == null ? null : hash(s, timeout));
    }

    /** An idempotency key as stored: each API key has keys of its own ({@code owner:key}); {@code null} without one. */
    static String scopedKey(String owner, String idempotencyKey) {
        return idempotencyKey == null ? null : (owner == null ? "" : owner) + ":" + idempotencyKey;
    }

    private static String hash(Submission s, Duration timeout) {
        String canonical = String.join("\u0000", s.task(), CanonicalJson.of(s.args()), CanonicalJson.of(s.kwargs()), timeout.toString(),
                Integer.toString(s.priority()), s.delay().toString(), Integer.toString(s.maxRetries()),
                String.valueOf(s.callbackUrl()), String.valueOf(s.errorCallbackUrl()));
        return HexFormat.of().formatHex(Sha256.digest(canonical.getBytes(StandardCharsets.UTF_8)));
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
     *
     * @param callerGone asked every {@link #CALLER_CHECK} while nothing happens: true ends the
     *     wait at once, with the job as last seen (nobody reads the answer)
     */
    public Job await(String id, String owner, Duration timeout, BooleanSupplier callerGone) {
        return await(id, owner, timeout, null, null, callerGone);
    }

    /**
     * @param registered a waiter registered before the job was stored, or null to register one now
     * @param known the job as this request stored it, with its args, when {@code registered} is given
     */
    private Job await(String id, String owner, Duration timeout, CompletableFuture<Job> registered, Job known,
            BooleanSupplier callerGone) {
        Duration bounded = timeout.compareTo(limits.maxWait()) > 0 ? limits.maxWait() : timeout;
        long deadline = System.nanoTime() + bounded.toNanos();
        CompletableFuture<Job> finished = registered;
        Job seen = known;
        long nextRead = System.nanoTime() + recheck.toNanos();
        while (true) {
            if (finished == null) {
                finished = waiters.register(id);
                Job job;
                try {
                    job = get(id, owner);
                } catch (RuntimeException e) {
                    waiters.unregister(id, finished);
                    throw e;
                }
                long remaining = deadline - System.nanoTime();
                if (job.ready() || remaining <= 0 || waiters.closing()) {
                    waiters.unregister(id, finished);
                    return job;
                }
                seen = job;
                nextRead = System.nanoTime() + recheck.toNanos();
            }
            long now = System.nanoTime();
            long slice = Math.min(deadline - now, Math.min(nextRead - now, CALLER_CHECK.toNanos()));
            try {
                Job done = finished.get(Math.max(0, slice), TimeUnit.NANOSECONDS);
                // Finished by a commit on this node: that is the job as stored, all but the args,
                // which never change. Reading it back cost 8 % of the server's CPU on the sync path.
                if (done != null && seen != null && owns(done, owner)) {
                    return done.withPayload(seen.args(), done.result());
                }
            } catch (TimeoutException e) {
                if (seen != null && callerGone.getAsBoolean()) {
                    // The future stays registered: other requests waiting for this job share it.
                    log.debug("Stopped waiting for job {}: its caller closed the connection", id);
                    return seen;
                }
                long left = System.nanoTime();
                if (left - nextRead < 0 && left - deadline < 0) {
                    continue; // the same waiter, until the fallback re-read is due
                }
                waiters.unregister(id, finished);
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                waiters.unregister(id, finished);
                Thread.currentThread().interrupt();
                return get(id, owner);
            }
            finished = null;
        }
    }

    /**
     * Cancels a queued job, or a running one wherever it runs: the store records CANCELLED first
     * (so a late result can never overwrite it), then the replica holding the job kills its worker.
     */
    public Job cancel(String id, String owner) {
        return cancel(id, owner, null);
    }

    private Job cancel(String id, String owner, JobError reason) {
        while (true) {
            Job job = get(id, owner);
            if (job.ready()) {
                throw JobException.finished(job);
            }
            if (cancelUnfinished(job, reason)) {
                waiters.signal(id);
                return get(id, owner);
            }
            // It changed state under us (claimed or finished): look again.
        }
    }

    private boolean cancelUnfinished(Job job, JobError reason) {
        // The worker's pid stays on the job, as on any finished job: this node knows it if it runs the job.
        Long pid = job.status() == JobStatus.RUNNING && node.id().equals(job.workerNode()) ? node.workerPid(job.id()).orElse(null) : null;
        if (!store.transition(JobTransition.cancelled(job.id(), job.status(), reason, clock.instant()).withWorkerPid(pid))) {
            return false;
        }
        if (job.status() == JobStatus.RUNNING) {
            // The killed worker's outcome is counted and logged by the node that ran it.
            broadcast.publishIds(Broadcast.Topic.CANCEL, List.of(job.id()));
            log.info("Job {} CANCELLED while running on node {}; its worker is being killed", job.id(), job.workerNode());
        } else {
            metrics.completed(job.task(), "cancelled", null);
            queueDepth.recount();
            log.info("Job {} CANCELLED while queued: task {}", job.id(), job.task());
        }
        return true;
    }

    /** {@code AsyncResult.forget()}: deletes a finished job and its result; a batch's chunk goes only with its batch. */
    public void forget(String id, String owner) {
        Job job = get(id, owner);
        if (!job.ready()) {
            throw JobException.notReady(id);
        }
        if (job.batchId() != null) {
            throw JobException.batchChunk(job);
        }
        if (!store.deleteFinished(id)) {
            throw JobException.notFound(id);
        }
    }

    /**
     * What the job printed: so far while it runs (on this replica, or stored on request by the
     * replica running it), all of it once it finished.
     */
    public String logs(String id, String owner) {
        Job job = get(id, owner);
        if (job.status() == JobStatus.RUNNING) {
            Optional<String> local = liveLogHere(id);
            if (local.isPresent()) {
                return local.get();
            }
            if (job.workerNode() != null && !job.workerNode().equals(node.id())) {
                awaitStoredLiveLog(id);
            }
        } else if (job.status() == JobStatus.CANCELLED && job.startedAt() != null && job.finishedAt() != null) {
            awaitCancelledWorkerLog(id, job.finishedAt());
        }
        return store.logs(id).orElseThrow(() -> JobException.notFound(id));
    }

    /**
     * A cancel answers once CANCELLED is stored; the node running the job kills its worker after
     * that and then records what it printed. A read in between waits for that record, up to
     * {@link #CANCELLED_LOG_WAIT} after the cancel (a node that died meanwhile never records it).
     */
    private void awaitCancelledWorkerLog(String id, Instant cancelledAt) {
        CompletableFuture<Job> stored = waiters.register(logsKey(id));
        try {
            long left = Duration.between(clock.instant(), cancelledAt.plus(CANCELLED_LOG_WAIT)).toMillis();
            if (left > 0 && store.cancelledLogPending(id)) {
                stored.get(left, TimeUnit.MILLISECONDS);
            }
        } catch (TimeoutException e) {
            log.info("The node that ran cancelled job {} has not recorded its log within {} ms of the cancel; answering"
                    + " with what the store has", id, CANCELLED_LOG_WAIT.toMillis());
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            waiters.unregister(logsKey(id), stored);
        }
    }

    private Optional<String> liveLogHere(String id) {
        try {
            return node.liveLogs(id).get(LIVE_LOG_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            log.warn("Could not read the live log of job {} ({}); answering with the stored one", id, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Optional.empty();
    }

    /** Asks the replica running the job to store its log so far, and waits (bounded) until it did. */
    private void awaitStoredLiveLog(String id) {
        CompletableFuture<Job> stored = waiters.register(logsKey(id));
        broadcast.publishIds(Broadcast.Topic.LOGS_REQUESTED, List.of(id));
        try {
            stored.get(LIVE_LOG_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            waiters.unregister(logsKey(id), stored);
            log.info("No replica stored the live log of job {} within {} ms; answering with what the store has",
                    id, LIVE_LOG_WAIT.toMillis());
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String logsKey(String id) {
        return "logs:" + id;
    }

    /** Every failed attempt's error, oldest first (the job's {@code error} is the last of them). */
    public List<AttemptError> attemptErrors(String id) {
        return store.attemptErrors(id);
    }

    public ListedJobs list(JobQuery query) {
        return store.list(query);
    }

    /** {@code Pool.close()}: every replica refuses new submissions; queued jobs keep running. */
    public void closePool() {
        setAccepting(false);
        log.info("Pool closed to new jobs on every replica; queued jobs keep running");
    }

    public void openPool() {
        setAccepting(true);
        log.info("Pool open to new jobs on every replica");
    }

    private void setAccepting(boolean accepting) {
        store.setAccepting(accepting, node.id(), clock.instant());
        gate.invalidate();
        broadcast.publish(Broadcast.Topic.POOL_STATE, "");
    }

    /**
     * {@code Pool.join()}: waits until no job is queued or running anywhere (after {@code close}
     * nothing new arrives); false if {@code timeout} passed first.
     */
    public boolean join(Duration timeout, BooleanSupplier callerGone) {
        Duration bounded = timeout.compareTo(limits.maxWait()) > 0 ? limits.maxWait() : timeout;
        long deadline = System.nanoTime() + bounded.toNanos();
        long nextCallerCheck = System.nanoTime() + CALLER_CHECK.toNanos();
        while (true) {
            CompletableFuture<Void> anyFinished = waiters.registerAny();
            if (store.countQueued() == 0 && store.countRunning() == 0) {
                return true;
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0 || waiters.closing()) {
                return false;
            }
            try {
                anyFinished.get(Math.min(remaining, Math.min(recheck.toNanos(), CALLER_CHECK.toNanos())), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                waiters.unregisterAny(anyFinished);
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            // Every second whatever woke it: while other jobs finish more often than that, the
            // wait never timed out and a join whose client had left kept its long-poll place.
            if (System.nanoTime() - nextCallerCheck >= 0) {
                if (callerGone.getAsBoolean()) {
                    return false;
                }
                nextCallerCheck = System.nanoTime() + CALLER_CHECK.toNanos();
            }
        }
    }

    /**
     * {@code Pool.terminate()}: closes the pool, then cancels every queued and running job on
     * every replica; running workers are killed. Returns how many jobs it cancelled.
     */
    public int terminate() {
        return terminate(() -> { });
    }

    /** The same, running {@code afterClose} once the pool is closed and before the cancels. */
    public int terminate(Runnable afterClose) {
        setAccepting(false);
        afterClose.run();
        JobError reason = new JobError("CancelledError",
                "cancelled by POST /v1/pool/terminate: the pool was terminated while the job was unfinished", null);
        int cancelled = cancelAllUnfinished(null, reason);
        log.info("Pool terminated: {} queued or running job(s) cancelled on every replica; the pool stays closed", cancelled);
        return cancelled;
    }

    /**
     * Cancels every unfinished job, or every unfinished chunk of a batch: the queued ones first,
     * a page of them at once, then the running ones (their workers are killed where they run).
     * A page's cancels go to the store together and commit in a few group commits: walked one
     * by one, each a commit of its own, the replicas went on claiming the later ones meanwhile
     * (a cancelled batch of 300 chunks started 118 more). Returns how many it cancelled.
     *
     * @param batchId the batch whose chunks to cancel, or {@code null} for every job
     * @param reason the error the jobs are left with, {@code null} for a client's own cancel
     */
    int cancelAllUnfinished(String batchId, JobError reason) {
        int cancelled = 0;
        for (JobStatus status : List.of(JobStatus.QUEUED, JobStatus.RUNNING)) {
            String after = null;
            while (true) {
                ListedJobs page = store.list(new JobQuery(status, null, batchId, null, after, 500, Long.MAX_VALUE));
                List<Job> movedOn = status == JobStatus.QUEUED ? cancelQueuedAtOnce(page.jobs(), reason) : page.jobs();
                cancelled += page.jobs().size() - movedOn.size();
                for (Job job : movedOn) {
                    // A job that moved on meanwhile (claimed, finished) is looked at again by id.
                    if (cancelUnfinished(job, reason) || cancelIfStillUnfinished(job.id(), reason)) {
                        cancelled++;
                    }
                }
                if (page.jobs().isEmpty() || !page.more()) {
                    break;
                }
                after = page.jobs().getLast().id();
            }
        }
        if (cancelled > 0) {
            queueDepth.recount();
        }
        return cancelled;
    }

    /** Cancels queued jobs in one go; returns those that were no longer queued (claimed or finished meanwhile). */
    private List<Job> cancelQueuedAtOnce(List<Job> queued, JobError reason) {
        Instant now = clock.instant();
        List<CompletableFuture<Boolean>> cancels = new ArrayList<>(queued.size());
        for (Job job : queued) {
            cancels.add(store.transitionAsync(JobTransition.cancelled(job.id(), JobStatus.QUEUED, reason, now)));
        }
        List<Job> movedOn = new ArrayList<>();
        for (int i = 0; i < queued.size(); i++) {
            Job job = queued.get(i);
            boolean done;
            try {
                done = cancels.get(i).join();
            } catch (java.util.concurrent.CompletionException e) {
                // The store's own failure (out of reach: a 503), as a plain transition throws it.
                throw e.getCause() instanceof RuntimeException cause ? cause : e;
            }
            if (done) {
                metrics.completed(job.task(), "cancelled", null);
                waiters.signal(job.id());
                log.debug("Job {} CANCELLED while queued: task {}", job.id(), job.task());
            } else {
                movedOn.add(job);
            }
        }
        return movedOn;
    }

    private boolean cancelIfStillUnfinished(String id, JobError reason) {
        for (int tries = 0; tries < 3; tries++) {
            Optional<Job> now = store.find(id);
            if (now.isEmpty() || now.get().ready()) {
                return false;
            }
            if (cancelUnfinished(now.get(), reason)) {
                return true;
            }
        }
        return false;
    }

    public PoolState poolState() {
        return gate.state();
    }

    /** Queued jobs in the whole service (an estimate refreshed every fraction of a second). */
    public long queued() {
        return queueDepth.current();
    }

    /**
     * Queued jobs in the whole service, counted in the store now: what {@code GET /v1/pool} and
     * {@code join} report. The estimate of {@link #queued} still held a job claimed a moment ago,
     * so a join answered "nothing queued" with {@code queued: 1} in its body.
     */
    public long queuedNow() {
        return store.countQueued();
    }

    /** Running jobs in the whole service. */
    public long running() {
        return store.countRunning();
    }

    /** The replicas that share the store, by their last heartbeat. */
    public List<ClusterNode> nodes() {
        return store.nodes();
    }
}
