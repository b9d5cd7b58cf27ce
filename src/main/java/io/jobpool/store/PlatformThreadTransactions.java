package io.jobpool.store;

import java.lang.reflect.UndeclaredThrowableException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionCallback;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A {@link TransactionTemplate} that never runs a transaction on a virtual thread, for SQLite.
 *
 * <p>sqlite-jdbc is JNI, and a virtual thread inside a native call pins its carrier; waiting for
 * SQLite's write lock ({@code busy_timeout}) is such a call. A transaction holds that lock from
 * its {@code BEGIN} to its commit. Were it run on a virtual thread that parked between two
 * statements while the other virtual threads waiting for the lock pinned every carrier, nothing
 * would run it to its commit until their busy timeouts failed them. So a transaction begun on a
 * virtual thread (a request, a webhook sender, an outcome) runs on a platform thread while the
 * virtual thread waits unpinned; on a platform thread it runs in place. A single write outside a
 * transaction waits for the lock too, inside its one native call: {@link CachedStatements} moves it
 * the same way ({@link #onPlatformThread}). Otherwise three requests waiting out another process's
 * lock (a {@code DELETE}, a pool {@code open}) held every carrier for the busy timeout, and the whole
 * API, health probes included, stopped answering.
 *
 * <p>The platform threads are as many as callers wait at once (a cached pool): each holds one of
 * the connection pool's connections, which bounds them, and a fixed few made the fifth
 * transaction wait out the busy timeouts of the four before it.
 */
public final class PlatformThreadTransactions extends TransactionTemplate {

    private static final ExecutorService PLATFORM = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("jobpool-store-tx-", 1).factory());

    /**
     * Writes asked on virtual threads that may wait for the write lock at once. Each holds a
     * connection while it waits (up to the busy timeout): unbounded, twenty of them took the pool's
     * sixteen and reads and the readiness check failed for want of one. Half the pool stays for
     * reads, the store's own writer and the node's duties; a write that finds no place within a
     * second is answered as the store being busy (503), which it is.
     */
    static final int LOCK_WAITERS = 8;

    private static final java.util.concurrent.Semaphore WAITING_WRITERS = new java.util.concurrent.Semaphore(LOCK_WAITERS);

    public PlatformThreadTransactions(PlatformTransactionManager transactionManager) {
        super(transactionManager);
    }

    @Override
    public <T> T execute(TransactionCallback<T> action) {
        if (!Thread.currentThread().isVirtual()) {
            return super.execute(action);
        }
        try {
            return onPlatformThread(() -> asWriter(() -> super.execute(action)));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new UndeclaredThrowableException(e);
        }
    }

    /** Runs {@code work} as one of the {@link #LOCK_WAITERS} writes that may wait for the lock at once. */
    static <T> T asWriter(Callable<T> work) throws Exception {
        if (!WAITING_WRITERS.tryAcquire(1, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new org.springframework.dao.TransientDataAccessResourceException("the store is busy: " + LOCK_WAITERS
                    + " writes already wait for its write lock");
        }
        try {
            return work.call();
        } finally {
            WAITING_WRITERS.release();
        }
    }

    /**
     * Runs {@code work} on a platform thread and waits for it unpinned (the caller is a virtual
     * thread); rethrows what it threw. An interrupt does not stop the work: its caller still
     * learns how it ended, and is left interrupted.
     */
    static <T> T onPlatformThread(Callable<T> work) throws Exception {
        Future<T> result = PLATFORM.submit(work);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return result.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    switch (e.getCause()) {
                        case Exception failure -> throw failure;
                        case Error error -> throw error;
                        default -> throw new UndeclaredThrowableException(e.getCause());
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
