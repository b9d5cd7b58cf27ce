package io.jobpool.job;

import io.jobpool.protocol.Message;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What only the replica that answers a request can do: the job core reaches this node's worker
 * processes through here and nowhere else. Commands for "the process running job X" go through
 * the store and {@link Broadcast}, because X may run on another replica.
 */
public interface LocalNode {

    /** This replica's id, as written in leases and shown as {@code worker.node}. */
    String id();

    /**
     * The task names this node's workers registered, over every runtime; empty while some runtime's
     * pool has not had a worker ready yet (its tasks are still unknown).
     */
    Optional<java.util.Set<String>> knownTasks();

    /** What the job printed so far, if a worker of this node runs it now. */
    CompletableFuture<Optional<String>> liveLogs(String jobId);

    /** The pid of this node's worker running the job, if any. */
    Optional<Long> workerPid(String jobId);

    /** How many workers this node's pool keeps (the {@code processes} of Python's Pool). */
    int poolSize();

    /** How many workers keeps the pool of this node that runs {@code task} (a Python task's is the Python pool). */
    default int poolSize(String task) {
        return poolSize();
    }

    /** Kills this node's worker of the job, if it runs here; the job's state is the store's business. */
    void kill(String jobId);

    /**
     * Reserves an idle worker of this node for a job of {@code task} being submitted, if one is
     * free. The job is then stored already claimed and handed straight to that worker: one write
     * instead of an insert and a claim, and no trip through the dispatcher. A free worker means the
     * queue holds nothing this node could run, so no queued job is overtaken.
     */
    Optional<WorkerReservation> reserveIdleWorker(String task);

    /** An idle worker held for one job; exactly one of {@link #start} or {@link #release} follows. */
    interface WorkerReservation {

        /** The lease the job is stored with. */
        java.time.Instant leaseUntil();

        /** Hands the job, stored RUNNING under this node's lease, to the reserved worker. */
        void start(Job job);

        /** Gives the worker back unused: the job was not stored, or an earlier one was returned. */
        void release();
    }
}
