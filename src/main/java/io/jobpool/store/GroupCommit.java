package io.jobpool.store;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: callers hand in one write each and block until it is durable; one writer thread
 * commits everything that queued up meanwhile in a single transaction.
 *
 * <p>With {@code WRITE_DELAY=0} every commit of the embedded store goes to the file, so a commit
 * costs far more than the statement in it; sharing commits between concurrent requests keeps a
 * 202 durable without paying one file write per job. A lone request is written at once (no
 * waiting for company), so latency stays that of a single commit. If a batch fails, its items are
 * retried one by one so one bad write (a duplicate key) never fails its neighbours; but not when
 * the store could not be reached at all (SQLite's lock held past its busy timeout, no connection):
 * each item would wait out the same timeout in turn (five items, fifty seconds), so the batch and
 * every write queued behind it fail at once, and their callers answer 503 within one timeout.
 *
 * <p>With more than one writer, each takes what queued up while the others were committing: a
 * server database (PostgreSQL) then flushes several commits together, where one writer would
 * wait for every flush in turn. The embedded store keeps one writer: its commits serialise anyway.
 *
 * @param <T> a write
 * @param <R> its result
 */
final class GroupCommit<T, R> {

    private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);

    private final Function<List<T>, List<R>> writeInOneTransaction;
    private final int maxBatch;
    private final LinkedBlockingQueue<Pending<T, R>> queue = new LinkedBlockingQueue<>();

    /**
     * @param writers how many threads commit, each its own batch at a time
     * @param writeInOneTransaction writes the items in one transaction and returns their results in order
     */
    GroupCommit(String name, int maxBatch, int writers, Function<List<T>, List<R>> writeInOneTransaction) {
        this.writeInOneTransaction = writeInOneTransaction;
        this.maxBatch = maxBatch;
        for (int i = 1; i <= writers; i++) {
            Thread.ofPlatform().daemon().name("jobpool-" + name + "-writer-" + i).start(this::writeLoop);
        }
    }

    /** Writes {@code item} and returns its result once committed; rethrows what the write threw. */
    R write(T item) {
        try {
            return submit(item).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for a commit", e);
        }
    }

    /**
     * Queues {@code item} and returns at once; the future completes on the writer thread once the
     * item is committed, or exceptionally with what its write threw.
     */
    CompletableFuture<R> submit(T item) {
        Pending<T, R> pending = new Pending<>(item, new CompletableFuture<>());
        queue.add(pending);
        return pending.result();
    }

    private void writeLoop() {
        List<Pending<T, R>> batch = new ArrayList<>(maxBatch);
        while (true) {
            try {
                batch.add(queue.take());
                queue.drainTo(batch, maxBatch - 1);
                commit(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException | Error e) {
                // commit() completes every future; this only guards the loop itself.
                log.error("Group commit writer failed; it keeps running", e);
            } finally {
                batch.clear();
            }
        }
    }

    private void commit(List<Pending<T, R>> batch) {
        try {
            List<R> results = writeInOneTransaction.apply(batch.stream().map(Pending::item).toList());
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result().complete(results.get(i));
            }
        } catch (RuntimeException batchFailed) {
            if (io.jobpool.job.StoreErrors.unreachable(batchFailed)) {
                List<Pending<T, R>> queuedBehind = new ArrayList<>();
                queue.drainTo(queuedBehind);
                // Each caller logs what it got: the store out of reach, not another write's statement.
                RuntimeException unreachable = new org.springframework.dao.DataAccessResourceFailureException(
                        "the store could not be reached for a group commit (" + rootMessage(batchFailed) + ")", batchFailed);
                batch.forEach(pending -> pending.result().completeExceptionally(unreachable));
                queuedBehind.forEach(pending -> pending.result().completeExceptionally(unreachable));
                return;
            }
            if (batch.size() == 1) {
                batch.getFirst().result().completeExceptionally(batchFailed);
                return;
            }
            for (Pending<T, R> pending : batch) {
                try {
                    pending.result().complete(writeInOneTransaction.apply(List.of(pending.item())).getFirst());
                } catch (RuntimeException itemFailed) {
                    pending.result().completeExceptionally(itemFailed);
                }
            }
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    private record Pending<T, R>(T item, CompletableFuture<R> result) {}
}
