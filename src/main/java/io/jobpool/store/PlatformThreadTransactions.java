package io.jobpool.store;

import java.lang.reflect.UndeclaredThrowableException;
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
 * virtual thread (a request, a webhook sender, an outcome) runs on one of a few platform threads
 * while the virtual thread waits unpinned; on a platform thread it runs in place. Single
 * statements outside a transaction finish within their one native call and stay where they are.
 */
public final class PlatformThreadTransactions extends TransactionTemplate {

    /** SQLite has one writer at a time: a few threads keep transactions flowing without piling up. */
    private static final int THREADS = 4;

    private final ExecutorService platform = Executors.newFixedThreadPool(THREADS,
            Thread.ofPlatform().daemon().name("jobpool-store-tx-", 1).factory());

    public PlatformThreadTransactions(PlatformTransactionManager transactionManager) {
        super(transactionManager);
    }

    @Override
    public <T> T execute(TransactionCallback<T> action) {
        if (!Thread.currentThread().isVirtual()) {
            return super.execute(action);
        }
        Future<T> result = platform.submit(() -> super.execute(action));
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return result.get();
                } catch (InterruptedException e) {
                    // The transaction runs on regardless; its caller still learns how it ended.
                    interrupted = true;
                } catch (ExecutionException e) {
                    switch (e.getCause()) {
                        case RuntimeException runtime -> throw runtime;
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
