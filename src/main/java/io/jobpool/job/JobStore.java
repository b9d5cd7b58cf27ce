package io.jobpool.job;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Where jobs live. One contract for SQLite, H2 and PostgreSQL; each passes the same tests. */
public interface JobStore {

    /**
     * Stores a new job, QUEUED (or RUNNING under the given lease when {@link NewJob#claimed()} is
     * set); returns the stored job, or the earlier one for a known idempotency key.
     */
    Inserted insert(NewJob job);

    /** The job stored under an idempotency key (as {@link NewJob#idempotencyKey()} scopes it), as an insert would return it. */
    Optional<Inserted> findByIdempotencyKey(String key);

    /** Whether jobs of {@code task} have a concurrency cap, which only a claim can honour. */
    default boolean capped(String task) {
        return false;
    }

    /** The tasks that have a concurrency cap ({@code jobpool.tasks.<name>.max-concurrency}). */
    default java.util.Set<String> cappedTasks() {
        return java.util.Set.of();
    }

    Optional<Job> find(String id);

    /** What the job printed; while it runs, what its replica last stored on request (or empty). */
    Optional<String> logs(String id);

    /**
     * Claims up to {@code limit} due QUEUED jobs, highest priority first, for {@code node}:
     * QUEUED to RUNNING, one more attempt, a lease until {@code leaseUntil}. Safe against other
     * nodes claiming at the same time ({@code FOR UPDATE SKIP LOCKED}).
     */
    default List<Job> claim(String node, int limit, Instant now, Instant leaseUntil) {
        return claim(node, limit, now, leaseUntil, ClaimFilter.anyTask());
    }

    /** {@link #claim(String, int, Instant, Instant)} restricted to the tasks {@code filter} matches. */
    List<Job> claim(String node, int limit, Instant now, Instant leaseUntil, ClaimFilter filter);

    /**
     * The one method that changes a job's state: a compare-and-set. False if the job was not in
     * {@code from}. When the new state is final, every {@link FinishedHook} runs in the same
     * transaction, so what they write (a webhook in the outbox) commits with the state or not at all.
     */
    boolean transition(JobTransition transition);

    /**
     * {@link #transition} without waiting: the future completes once the change is committed (or
     * has failed), on the thread that committed it, so what it runs then must be quick and must
     * not block.
     */
    java.util.concurrent.CompletableFuture<Boolean> transitionAsync(JobTransition transition);

    /**
     * Calls {@code listener} after each commit, on the committing thread, with every job that the
     * commit moved to a final state and that belongs to no batch: the job as stored, without its
     * args ({@code null}). It must be quick and must not block. Jobs finished by another replica
     * are not seen here; {@link io.jobpool.job.Broadcast.Topic#JOBS_FINISHED} tells of those.
     */
    default void onFinished(java.util.function.Consumer<Job> listener) {
    }

    /**
     * Runs inside the transaction that moves a job to a final state. The job it gets is as that
     * state left it, without its args and result ({@code null}), which can be large: a hook that
     * needs them reads the job, in the same transaction.
     */
    @FunctionalInterface
    interface FinishedHook {
        void jobFinished(Job job);

        /** The same, with a chunk's outcomes as the node that ran it summed them up ({@code null} if it did not). */
        default void jobFinished(Job job, ChunkItems.Summary items) {
            jobFinished(job);
        }
    }

    /** Every failed attempt of the job, oldest first: a retried job keeps each attempt's error. */
    List<AttemptError> attemptErrors(String id);

    /**
     * Records what a running task reported through {@code TaskContext.progress}, if {@code node}
     * still holds the job: a node that lost its lease (a long pause) must not overwrite the
     * progress of the attempt that now runs elsewhere.
     */
    void reportProgress(String id, String node, double fraction, String message);

    /**
     * Records the pid of the worker running the job, if {@code node} still holds it and it is still
     * running: other replicas answer for the job from the store.
     */
    void recordWorkerPid(String id, String node, long pid);

    /** Removes a finished job; false if it is unknown or not finished. */
    boolean deleteFinished(String id);

    ListedJobs list(JobQuery query);

    long countQueued();

    /** Queued jobs not due yet (waiting for their {@code delaySeconds} or a retry's back-off) at {@code now}. */
    long countQueuedNotDue(Instant now);

    long countRunning();

    /**
     * When the earliest QUEUED job due after {@code after} is due; empty if there is none. Jobs due
     * at or before {@code after} are left out: a claim made at {@code after} saw them already.
     */
    java.util.Optional<Instant> nextDueAfter(Instant after);

    /** Of {@code jobIds}, those still RUNNING under {@code node}'s lease (the others were cancelled or taken back). */
    java.util.Set<String> held(String node, java.util.Collection<String> jobIds);

    /**
     * Records on a job cancelled while it ran on {@code node} what only that node knows: which
     * worker process ran it (a cancel sent to another replica could not know it; a pid already
     * recorded stays) and what the task printed until its worker was killed. False if the job is
     * not a cancelled job that ran on {@code node}.
     */
    boolean recordCancelledWorker(String id, String node, long pid, String logs);

    /**
     * Whether the job was cancelled while it ran and the node that ran it has not yet recorded its
     * worker's log ({@link #recordCancelledWorker}): the cancel commits before the worker is killed.
     */
    boolean cancelledLogPending(String id);

    /** Stores the log so far of a job {@code node} runs, for readers on other replicas; false if it no longer does. */
    boolean storeLiveLogs(String id, String node, String logs);

    /** The service-wide pool state; open if it was never changed. */
    PoolState poolState();

    /** {@code close()} / {@code open()} for every replica. */
    void setAccepting(boolean accepting, String node, Instant now);

    /**
     * Records that the replica is alive (inserted on its first heartbeat).
     *
     * @return the replica's row as it was before, or {@code null} if there was none
     */
    ClusterNode heartbeat(ClusterNode node);

    /** Every replica with a recorded heartbeat, by id. */
    List<ClusterNode> nodes();

    /** Removes the replica {@code id} (may be {@code null}) and every replica silent since {@code heartbeatBefore}. */
    int forgetNodes(String id, Instant heartbeatBefore);

    /**
     * Extends the lease of the given jobs while {@code node} holds them. Only jobs the node still
     * works on are renewed, so a job whose outcome could not be written loses its lease and is
     * redelivered rather than staying RUNNING for ever.
     */
    int renewLeases(String node, java.util.Collection<String> jobIds, Instant leaseUntil);

    /** RUNNING jobs whose lease ran out, or (with {@code everyOtherNode}) that any other node holds. */
    List<Job> orphans(String node, Instant now, boolean everyOtherNode);

    /** RUNNING jobs held by {@code node}: at its start, what an earlier run under the same node id left. */
    List<Job> runningOn(String node);

    /** Deletes finished jobs older than {@code finishedBefore}; returns how many. */
    int deleteFinishedBefore(Instant finishedBefore, int limit);

    /**
     * Result of an insert.
     *
     * @param created false when an earlier job with the same idempotency key was returned
     * @param requestHash the hash stored with that job, to tell a retry from a conflicting request
     */
    record Inserted(Job job, boolean created, String requestHash) {}
}
