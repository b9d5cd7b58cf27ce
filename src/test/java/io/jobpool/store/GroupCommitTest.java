package io.jobpool.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.transaction.CannotCreateTransactionException;

/** Tests how the group commit's writer meets a failed batch: one bad write, or a store out of reach. */
class GroupCommitTest {

    /** Batches the write function was called with, in order. */
    private final List<List<String>> calls = java.util.Collections.synchronizedList(new ArrayList<>());

    /** Started by a batch holding {@code "first"}, which then waits for {@link #release}: writes queue up behind it. */
    private final CountDownLatch firstStarted = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);

    /** A group commit whose batch with {@code "first"} waits for {@link #release}, then fails as {@code outcome} says. */
    private GroupCommit<String, String> commit(int maxBatch, java.util.function.Consumer<List<String>> outcome) {
        return new GroupCommit<>("test", maxBatch, 1, items -> {
            calls.add(items);
            if (items.contains("first")) {
                firstStarted.countDown();
                await(release);
            }
            outcome.accept(items);
            return items.stream().map(item -> item + " done").toList();
        });
    }

    @Test
    void aBadWriteIsTriedAloneSoItsNeighboursAreCommitted() throws Exception {
        GroupCommit<String, String> commit = commit(16, items -> {
            if (items.contains("duplicate")) {
                throw new DuplicateKeyException("duplicate key");
            }
        });
        CompletableFuture<String> first = commit.submit("first");
        assertThat(firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<String> good = commit.submit("good");
        CompletableFuture<String> duplicate = commit.submit("duplicate");
        release.countDown();

        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("first done");
        assertThat(good.get(10, TimeUnit.SECONDS)).isEqualTo("good done");
        assertThat(failure(duplicate)).isInstanceOf(DuplicateKeyException.class);
        assertThat(calls).containsExactly(List.of("first"), List.of("good", "duplicate"), List.of("good"), List.of("duplicate"));
    }

    /**
     * A store out of reach (SQLite's lock held past its busy timeout) fails a batch and whatever
     * queued behind it at once: tried one by one, each write would wait out the timeout in turn.
     */
    @Test
    void aStoreOutOfReachFailsTheBatchAndTheWritesQueuedBehindItAtOnce() throws Exception {
        GroupCommit<String, String> commit = commit(2, items -> {
            if (items.contains("first")) {
                throw new CannotCreateTransactionException("Could not open JDBC Connection for transaction",
                        new org.sqlite.SQLiteException("database is locked", org.sqlite.SQLiteErrorCode.SQLITE_BUSY));
            }
        });
        CompletableFuture<String> a = commit.submit("first");
        assertThat(firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
        List<CompletableFuture<String>> behind = List.of(commit.submit("b"), commit.submit("c"), commit.submit("d"));
        release.countDown();

        assertThat(failure(a)).isInstanceOf(org.springframework.dao.DataAccessResourceFailureException.class)
                .hasMessageContaining("the store could not be reached").hasMessageContaining("database is locked")
                .hasCauseInstanceOf(CannotCreateTransactionException.class);
        for (CompletableFuture<String> write : behind) {
            assertThat(failure(write)).isInstanceOf(org.springframework.dao.DataAccessResourceFailureException.class);
            assertThat(io.jobpool.job.StoreErrors.outOfReach(failure(write))).as("read as an outage by its caller").isTrue();
        }
        assertThat(calls).as("one attempt, not one per write").containsExactly(List.of("first"));
        assertThat(commit.submit("later").get(10, TimeUnit.SECONDS)).as("a write after the failure is tried").isEqualTo("later done");
    }

    private static Throwable failure(CompletableFuture<String> write) throws InterruptedException, java.util.concurrent.TimeoutException {
        try {
            write.get(10, TimeUnit.SECONDS);
            throw new AssertionError("the write succeeded");
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
