package io.jobpool.store;

import io.jobpool.job.Batch;
import io.jobpool.job.BatchStore;
import io.jobpool.job.ChunkItems;
import io.jobpool.job.Job;
import io.jobpool.job.JobError;
import io.jobpool.job.JobStatus;
import io.jobpool.job.JobStore;
import io.jobpool.job.NewBatch;
import io.jobpool.job.NewJob;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * {@link BatchStore} on plain SQL. It is also a {@link JobStore.FinishedHook}: when a chunk job
 * reaches a final state, its items are added to the batch's counters in that same transaction, and
 * the chunk that completes the batch stamps it finished and runs the batch hooks (the
 * {@code batch.completed} webhook) there too.
 */
public final class JdbcBatchStore implements BatchStore, JobStore.FinishedHook {

    private static final String COLUMNS = """
            id, task, starmap, item_count, chunksize, chunk_count, chunks_done, succeeded, failed, cancelled, retried,
            priority, timeout_ms, max_retries, callback_url, error_callback_url, owner, created_at, cancel_requested_at,
            finished_at\s""";

    private static final RowMapper<Batch> BATCH = JdbcBatchStore::mapBatch;
    private static final String FINAL = "('SUCCEEDED', 'FAILED', 'CANCELLED')";

    private final JdbcClient jdbc;
    private final JdbcTemplate template;
    private final TransactionTemplate transactions;
    private final List<BatchStore.FinishedHook> finishedHooks;
    private final Consumer<String> chunkCommitted;
    private final Clock clock;

    /**
     * @param chunkCommitted told the batch id after a transaction that finished one of its chunks
     *     commits (wakes whoever waits for the batch)
     */
    public JdbcBatchStore(JdbcClient jdbc, JdbcTemplate template, TransactionTemplate transactions,
            List<BatchStore.FinishedHook> finishedHooks, Consumer<String> chunkCommitted, Clock clock) {
        this.jdbc = jdbc;
        this.template = template;
        this.transactions = transactions;
        this.finishedHooks = List.copyOf(finishedHooks);
        this.chunkCommitted = chunkCommitted;
        this.clock = clock;
    }

    @Override
    public Inserted insert(NewBatch newBatch) {
        try {
            insertNew(newBatch);
        } catch (DuplicateKeyException duplicate) {
            if (newBatch.idempotencyKey() == null) {
                throw duplicate;
            }
            // A concurrent request with the same key stored its batch first; this transaction rolled back.
            return findByIdempotencyKey(newBatch.idempotencyKey())
                    .orElseThrow(() -> new IllegalStateException("idempotency key collided but no batch holds it", duplicate));
        }
        return new Inserted(newBatch.batch(), true, newBatch.requestHash());
    }

    @Override
    public Optional<Inserted> findByIdempotencyKey(String key) {
        return jdbc.sql("SELECT " + COLUMNS + ", request_hash FROM batches WHERE idempotency_key = :key")
                .param("key", key)
                .query((rs, n) -> new Inserted(mapBatch(rs, n), false, rs.getString("request_hash")))
                .optional();
    }

    private void insertNew(NewBatch newBatch) {
        Batch b = newBatch.batch();
        transactions.executeWithoutResult(status -> {
            jdbc.sql("""
                    INSERT INTO batches (id, task, starmap, item_count, chunksize, chunk_count, priority, timeout_ms,
                        max_retries, callback_url, error_callback_url, owner, created_at, finished_at, idempotency_key,
                        request_hash)
                    VALUES (:id, :task, :starmap, :items, :chunksize, :chunks, :priority, :timeout, :maxRetries,
                        :callbackUrl, :errorCallbackUrl, :owner, :createdAt, :finishedAt, :key, :hash)""")
                    .param("id", b.id()).param("task", b.task()).param("starmap", b.starmap())
                    .param("items", b.itemCount()).param("chunksize", b.chunksize()).param("chunks", b.chunkCount())
                    .param("priority", b.priority()).param("timeout", b.timeout().toMillis())
                    .param("maxRetries", b.maxRetries()).param("callbackUrl", b.callbackUrl())
                    .param("errorCallbackUrl", b.errorCallbackUrl()).param("owner", b.owner())
                    .param("createdAt", b.createdAt().toEpochMilli())
                    .param("finishedAt", b.finishedAt() == null ? null : b.finishedAt().toEpochMilli())
                    .param("key", newBatch.idempotencyKey(), java.sql.Types.VARCHAR)
                    .param("hash", newBatch.requestHash(), java.sql.Types.VARCHAR)
                    .update();
            List<NewJob> chunks = newBatch.chunks();
            for (int from = 0; from < chunks.size(); from += 500) {
                List<Object[]> rows = new ArrayList<>(500);
                for (int chunk = from; chunk < Math.min(chunks.size(), from + 500); chunk++) {
                    NewJob job = chunks.get(chunk);
                    rows.add(new Object[] {job.id(), job.task(), job.args(), job.priority(), job.timeout().toMillis(),
                            job.maxRetries(), job.createdAt().toEpochMilli(), job.scheduledAt().toEpochMilli(), job.owner(),
                            b.id(), chunk});
                }
                template.batchUpdate("""
                        INSERT INTO jobs (id, task, args, kwargs, status, priority, timeout_ms, max_retries, created_at,
                            scheduled_at, owner, batch_id, batch_chunk)
                        VALUES (?, ?, ?, '{}', 'QUEUED', ?, ?, ?, ?, ?, ?, ?, ?)""", rows);
            }
            if (b.finishedAt() != null) {
                // An empty batch is complete as soon as it exists.
                finishedHooks.forEach(hook -> hook.batchFinished(b));
            }
        });
    }

    @Override
    public Optional<Batch> find(String id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM batches WHERE id = :id").param("id", id).query(BATCH).optional();
    }

    @Override
    public int[] unfinishedItems(Batch batch) {
        int[] items = new int[2];
        if (batch.ready()) {
            return items;
        }
        jdbc.sql("SELECT status, batch_chunk FROM jobs WHERE batch_id = :id AND status IN ('QUEUED', 'RUNNING')")
                .param("id", batch.id())
                .query(rs -> {
                    int count = batch.itemsInChunk(rs.getInt("batch_chunk"));
                    items["QUEUED".equals(rs.getString("status")) ? 0 : 1] += count;
                });
        return items;
    }

    @Override
    public boolean requestCancel(String id, Instant now) {
        return jdbc.sql("UPDATE batches SET cancel_requested_at = :now WHERE id = :id AND finished_at IS NULL"
                        + " AND cancel_requested_at IS NULL")
                .param("now", now.toEpochMilli()).param("id", id).update() == 1;
    }

    @Override
    public int requestCancelOfUnfinished(Instant now) {
        return jdbc.sql("UPDATE batches SET cancel_requested_at = :now WHERE finished_at IS NULL AND cancel_requested_at IS NULL")
                .param("now", now.toEpochMilli()).update();
    }

    @Override
    public List<String> cancelsLeftUnfinished(Instant requestedBefore) {
        return jdbc.sql("""
                        SELECT id FROM batches WHERE cancel_requested_at < :before AND finished_at IS NULL
                        AND EXISTS (SELECT 1 FROM jobs WHERE jobs.batch_id = batches.id AND jobs.status IN ('QUEUED', 'RUNNING'))""")
                .param("before", requestedBefore.toEpochMilli()).query(String.class).list();
    }

    @Override
    public List<Integer> finishedChunks(String id) {
        return jdbc.sql("SELECT batch_chunk FROM jobs WHERE batch_id = :id AND status IN " + FINAL + " ORDER BY batch_chunk")
                .param("id", id).query(Integer.class).list();
    }

    /** One chunk at a time by its number, so neither the driver nor this node holds the whole batch. */
    @Override
    public void readStoredChunk(Batch batch, int chunk, Consumer<StoredChunk> each) {
        jdbc.sql("SELECT status, result, error_type, error_message, error_trace, attempts FROM jobs"
                        + " WHERE batch_id = :id AND batch_chunk = :chunk AND status IN " + FINAL)
                .param("id", batch.id()).param("chunk", chunk)
                .query(rs -> {
                    String errorType = rs.getString("error_type");
                    JobError error = errorType == null ? null
                            : new JobError(errorType, rs.getString("error_message"), rs.getString("error_trace"));
                    each.accept(new StoredChunk(JobStatus.valueOf(rs.getString("status")), rs.getString("result"), error,
                            rs.getInt("attempts")));
                });
    }

    @Override
    public boolean deleteFinished(String id) {
        return Boolean.TRUE.equals(transactions.execute(status -> {
            int rows = jdbc.sql("DELETE FROM batches WHERE id = :id AND finished_at IS NOT NULL").param("id", id).update();
            if (rows == 1) {
                jdbc.sql("DELETE FROM job_attempt_errors WHERE job_id IN (SELECT id FROM jobs WHERE batch_id = :id)")
                        .param("id", id).update();
                jdbc.sql("DELETE FROM jobs WHERE batch_id = :id").param("id", id).update();
            }
            return rows == 1;
        }));
    }

    @Override
    public int deleteFinishedBefore(Instant finishedBefore, int limit) {
        List<String> ids = jdbc.sql("SELECT id FROM batches WHERE finished_at < :before ORDER BY finished_at LIMIT :limit")
                .param("before", finishedBefore.toEpochMilli()).param("limit", limit).query(String.class).list();
        int deleted = 0;
        for (String id : ids) {
            deleted += deleteFinished(id) ? 1 : 0;
        }
        return deleted;
    }

    /** A chunk job reached a final state: add its items to the batch, in the same transaction. */
    @Override
    public void jobFinished(Job job) {
        jobFinished(job, null);
    }

    /** @param items the chunk's outcomes summed up by the node that ran it, so they are not read again here */
    @Override
    public void jobFinished(Job job, ChunkItems.Summary items) {
        if (job.batchId() == null) {
            return;
        }
        Integer chunk = jdbc.sql("SELECT batch_chunk FROM jobs WHERE id = :id").param("id", job.id())
                .query(Integer.class).optional().orElse(null);
        Batch batch = find(job.batchId()).orElse(null);
        if (chunk == null || batch == null) {
            return;
        }
        ChunkItems.Tally summed = items != null && job.status() == JobStatus.SUCCEEDED ? items.tally(batch.itemsInChunk(chunk)) : null;
        ChunkItems.Tally tally = summed != null ? summed
                : ChunkItems.tally(job.status(), result(job.id()), job.error(), job.attempts(), batch.itemsInChunk(chunk));
        int rows = jdbc.sql("""
                UPDATE batches SET chunks_done = chunks_done + 1, succeeded = succeeded + :succeeded,
                    failed = failed + :failed, cancelled = cancelled + :cancelled, retried = retried + :retried
                WHERE id = :id""")
                .param("succeeded", tally.succeeded()).param("failed", tally.failed())
                .param("cancelled", tally.cancelled()).param("retried", tally.retried()).param("id", batch.id())
                .update();
        if (rows != 1) {
            throw new IllegalStateException(rows + " batch rows counted chunk " + job.id() + " of batch " + batch.id());
        }
        // The counter row is locked by the update above, so exactly one chunk sees the batch complete.
        int completed = jdbc.sql("UPDATE batches SET finished_at = :now WHERE id = :id AND finished_at IS NULL"
                        + " AND chunks_done = chunk_count")
                .param("now", (job.finishedAt() != null ? job.finishedAt() : clock.instant()).toEpochMilli())
                .param("id", batch.id()).update();
        Batch finished = completed == 1 ? find(batch.id()).orElseThrow() : null;
        if (finished != null) {
            finishedHooks.forEach(hook -> hook.batchFinished(finished));
        }
        String batchId = batch.id();
        Runnable committed = () -> {
            if (finished != null) {
                logFinished(finished);
            }
            chunkCommitted.accept(batchId);
        };
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    committed.run();
                }
            });
        } else {
            committed.run();
        }
    }

    /** Once it is committed: a batch's end is the event its operator looks for, as a job's failure is. */
    private static void logFinished(Batch batch) {
        org.slf4j.LoggerFactory.getLogger(JdbcBatchStore.class).info(
                "Batch {} finished {}: {} item(s) of task {}, {} succeeded, {} failed, {} cancelled", batch.id(), batch.status(),
                batch.itemCount(), batch.task(), batch.succeeded(), batch.failed(), batch.cancelled());
    }

    /** A finished chunk's outcomes, which the finished job given to hooks leaves out. */
    private String result(String jobId) {
        List<String> results = jdbc.sql("SELECT result FROM jobs WHERE id = :id").param("id", jobId).query(String.class).list();
        return results.isEmpty() ? null : results.get(0);
    }

    private static Batch mapBatch(ResultSet rs, int row) throws SQLException {
        return new Batch(rs.getString("id"), rs.getString("task"), rs.getBoolean("starmap"), rs.getInt("item_count"),
                rs.getInt("chunksize"), rs.getInt("chunk_count"), rs.getInt("chunks_done"), rs.getInt("succeeded"),
                rs.getInt("failed"), rs.getInt("cancelled"), rs.getInt("retried"), rs.getInt("priority"),
                Duration.ofMillis(rs.getLong("timeout_ms")), rs.getInt("max_retries"), rs.getString("callback_url"),
                rs.getString("error_callback_url"), rs.getString("owner"), instant(rs, "created_at"),
                instant(rs, "cancel_requested_at"), instant(rs, "finished_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        long millis = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
    }
}
