package io.jobpool.job;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Requests waiting for a job to finish ({@code AsyncResult.wait}). Like CPython's result
 * registry, an entry exists only while someone waits and is removed when the job is signalled.
 */
public final class JobWaiters {

    private final Map<String, CompletableFuture<Void>> waiting = new ConcurrentHashMap<>();

    /** Waiters for any job at all ({@code Pool.join()}), completed by the next signal of any id. */
    private final java.util.Set<CompletableFuture<Void>> waitingForAny = ConcurrentHashMap.newKeySet();

    /** Set once the server shuts down: every wait answers at once with what it has. */
    private volatile boolean closing;

    /** A future completed when {@code jobId} is next signalled. Register before checking the store. */
    public CompletableFuture<Void> register(String jobId) {
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
    public void unregister(String jobId, CompletableFuture<Void> future) {
        waiting.remove(jobId, future);
    }

    public void signal(String jobId) {
        CompletableFuture<Void> future = waiting.remove(jobId);
        if (future != null) {
            future.complete(null);
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
