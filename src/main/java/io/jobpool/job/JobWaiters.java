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

    /** A future completed when {@code jobId} is next signalled. Register before checking the store. */
    public CompletableFuture<Void> register(String jobId) {
        return waiting.computeIfAbsent(jobId, id -> new CompletableFuture<>());
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
