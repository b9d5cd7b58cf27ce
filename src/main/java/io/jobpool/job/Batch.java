package io.jobpool.job;

import java.time.Duration;
import java.time.Instant;

/**
 * A batch as stored: {@code map} / {@code starmap} of one task over {@code itemCount} items, run as
 * {@code chunkCount} chunk jobs of {@code chunksize} items. The item counters cover finished chunks;
 * items of chunks still queued or running are counted from those chunks (see {@link BatchCounts}).
 *
 * @param retried items that ran more than once
 * @param cancelRequestedAt when {@code POST /v1/batches/{id}/cancel} was accepted, or {@code null}
 * @param finishedAt when the last chunk reached a final state, or {@code null}
 */
public record Batch(
        String id, String task, boolean starmap, int itemCount, int chunksize, int chunkCount, int chunksDone,
        int succeeded, int failed, int cancelled, int retried, int priority, Duration timeout, int maxRetries,
        String callbackUrl, String errorCallbackUrl, String owner, Instant createdAt, Instant cancelRequestedAt,
        Instant finishedAt) {

    public boolean ready() {
        return finishedAt != null;
    }

    /** RUNNING until every chunk is final; then CANCELLED, FAILED (some item failed) or SUCCEEDED. */
    public JobStatus status() {
        if (!ready()) {
            return JobStatus.RUNNING;
        }
        if (cancelled > 0 || cancelRequestedAt != null && succeeded < itemCount) {
            return JobStatus.CANCELLED;
        }
        return failed > 0 ? JobStatus.FAILED : JobStatus.SUCCEEDED;
    }

    /** How many items chunk number {@code chunk} holds: {@code chunksize}, except perhaps the last. */
    public int itemsInChunk(int chunk) {
        return Math.min(chunksize, itemCount - chunk * chunksize);
    }
}
