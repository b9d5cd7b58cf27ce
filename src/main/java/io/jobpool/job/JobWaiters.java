package io.jobpool.job;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Requests waiting for a job to finish ({@code AsyncResult.wait}). Like CPython's result
 * registry, an entry exists only while someone waits and is removed when the job is signalled.
 *
 * <p>A signal from the commit that finished a job on this node carries the job as that commit
 * left it, so the waiter answers without reading it back; other signals (another replica's
 * finish, a batch's progress, a stored log) carry {@code null} and the waiter reads the store.
 */
public final class JobWaiters {

    private final Map<String, CompletableFuture<Job>> waiting = new ConcurrentHashMap<>();

    /** Waiters for any job at all ({@code Pool.join()}), completed by the next signal of any id. */
    private final java.util.Set<CompletableFuture<Void>> waitingForAny = ConcurrentHashMap.newKeySet();

    /** Set once the server shuts down: every wait answers at once with what it has. */
    private volatile boolean closing;

    /** A future completed when {@code jobId} is next signalled. Register before checking the store. */
    public CompletableFuture<Job> register(String jobId) {
        if (closing) {
            return CompletableFuture.completedFuture(null);
        }
        return waiting.computeIfAbsent(jobId, id -> new CompletableFuture<>());
    }

    /**
     * The server is shutting down: every waiting request (a long poll, {@code ?wait}, a join, a
     * result stream) is woken and answers with the state it finds, as at its timeout, and later
     * waits do not wait. Open waits would otherwise hold the web server's graceful drain, up to
     * its phase timeout, while running jobs wait for their shutdown grace.
     */
    public void close() {
        closing = true;
        signalAll();
    }

    /** Whether {@link #close} was called: waits answer at once. */
    public boolean closing() {
        return closing;
    }

    /** Drops a future nobody needs any more (its waiter timed out). */
    public void unregister(String jobId, CompletableFuture<?> future) {
        waiting.remove(jobId, future);
    }

    public void signal(String jobId) {
        signal(jobId, null);
    }

    /**
     * Wakes the waiters of a job that a commit on this node just moved to a final state, with the
     * job as stored but without its args ({@code null}): each waiter has those already.
     */
    public void finished(Job job) {
        signal(job.id(), job);
    }

    private void signal(String jobId, Job finished) {
        CompletableFuture<Job> future = waiting.remove(jobId);
        if (future != null) {
            future.complete(finished);
        }
        if (!waitingForAny.isEmpty()) {
            waitingForAny.removeIf(any -> any.complete(null) || true);
        }
    }

    /** A future completed when any job is next signalled. Register before checking the store. */
    public CompletableFuture<Void> registerAny() {
        if (closing) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> future = new CompletableFuture<>();
        waitingForAny.add(future);
        return future;
    }

    public void unregisterAny(CompletableFuture<Void> future) {
        waitingForAny.remove(future);
    }

    /** Wakes every waiter, to re-read the store after signals may have been missed. */
    public void signalAll() {
        waiting.keySet().forEach(this::signal);
        waitingForAny.removeIf(any -> any.complete(null) || true);
    }
}
