package io.jobpool.job;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/** Where batches live: one row per batch, one job row per chunk. One contract for SQLite, H2 and PostgreSQL. */
public interface BatchStore {

    /** Runs inside the transaction in which a batch's last chunk finished (or an empty batch was stored). */
    @FunctionalInterface
    interface FinishedHook {
        void batchFinished(Batch batch);
    }

    /**
     * A batch as an insert returns it.
     *
     * @param created false when the batch's idempotency key was taken: this is the earlier batch
     * @param requestHash the digest the batch was stored with under its key ({@code null} without one)
     */
    record Inserted(Batch batch, boolean created, String requestHash) {}

    /**
     * Stores the batch and its chunk jobs (QUEUED) in one transaction; if another batch holds its
     * idempotency key, stores nothing and returns that one.
     */
    Inserted insert(NewBatch batch);

    /** The batch stored under an idempotency key (as {@link NewBatch#idempotencyKey()} scopes it). */
    Optional<Inserted> findByIdempotencyKey(String key);

    Optional<Batch> find(String id);

    /** Items in chunks that are QUEUED and RUNNING now: {@code [queued, running]}. */
    int[] unfinishedItems(Batch batch);

    /** Marks the batch as cancelled by its client; false if it is unknown or already finished. */
    boolean requestCancel(String id, Instant now);

    /** Marks every unfinished batch as cancelled ({@code Pool.terminate()}); returns how many. */
    int requestCancelOfUnfinished(Instant now);

    /**
     * Batches whose cancel was accepted before {@code requestedBefore} but that still have queued
     * or running chunks: a replica stopped while it cancelled them.
     */
    List<String> cancelsLeftUnfinished(Instant requestedBefore);

    /** Chunk numbers of the batch's final chunks, in chunk order. */
    List<Integer> finishedChunks(String id);

    /** A final chunk job as stored: its state, its result (JSON text), its error and how many times it ran. */
    record StoredChunk(JobStatus status, String result, JobError error, int attempts) {}

    /** One final chunk of the batch as stored; nothing if it is not final. */
    void readStoredChunk(Batch batch, int chunk, Consumer<StoredChunk> each);

    /** One final chunk of the batch, as its items' outcomes; nothing if it is not final. */
    default void readChunk(Batch batch, int chunk, Consumer<ItemOutcome> items) {
        readStoredChunk(batch, chunk, stored -> ChunkItems.forEach(stored.status(), stored.result(), stored.error(),
                stored.attempts(), chunk * batch.chunksize(), batch.itemsInChunk(chunk), items));
    }

    /** Every item of a finished batch in item order, read chunk by chunk (never all at once). */
    default void readItems(Batch batch, Consumer<ItemOutcome> items) {
        for (int chunk = 0; chunk < batch.chunkCount(); chunk++) {
            readChunk(batch, chunk, items);
        }
    }

    /** Deletes a finished batch and its chunk jobs; false if it is unknown or not finished. */
    boolean deleteFinished(String id);

    /** Deletes batches finished before the instant, with their chunks; returns how many. */
    int deleteFinishedBefore(Instant finishedBefore, int limit);
}
