package io.jobpool.api;

import io.jobpool.job.JobException;
import io.jobpool.security.Caller;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the waiting requests ({@code ?wait=}, {@code ?timeout=}) each caller has open and refuses
 * one more than {@code jobpool.security.max-long-polls-per-key} with 429, so one client cannot hold
 * every connection of the server.
 */
final class LongPolls {

    private final int limit;
    private final ConcurrentHashMap<String, AtomicInteger> open = new ConcurrentHashMap<>();

    LongPolls(int limit) {
        this.limit = limit;
    }

    /** A permit to wait; close it when the wait is over. */
    Permit acquire(Caller caller) {
        String key = caller.name() == null ? "" : caller.name();
        AtomicInteger count = open.computeIfAbsent(key, k -> new AtomicInteger());
        if (count.incrementAndGet() > limit) {
            count.decrementAndGet();
            throw JobException.tooManyWaits(limit);
        }
        return count::decrementAndGet;
    }

    /** An open wait. */
    interface Permit extends AutoCloseable {
        @Override
        void close();
    }
}
