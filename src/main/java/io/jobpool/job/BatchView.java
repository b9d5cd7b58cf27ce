package io.jobpool.job;

import java.time.Instant;

/**
 * A batch as the API shows it: its state and how many of its items are in each state.
 *
 * @param status RUNNING until every item is final; then SUCCEEDED, FAILED (an item failed) or CANCELLED
 * @param chunks how many chunk jobs run it ({@code GET /v1/jobs?batch=} lists them)
 */
public record BatchView(
        String id, String task, boolean starmap, JobStatus status, boolean ready, Boolean successful, BatchCounts counts,
        int chunksize, int chunks, int priority, double timeoutSeconds, int maxRetries, Instant createdAt,
        Instant cancelledAt, Instant finishedAt, String callbackUrl, String errorCallbackUrl) {

    public static BatchView of(Batch batch, BatchCounts counts) {
        return new BatchView(batch.id(), batch.task(), batch.starmap(), batch.status(), batch.ready(),
                batch.ready() ? batch.status() == JobStatus.SUCCEEDED : null, counts, batch.chunksize(), batch.chunkCount(),
                batch.priority(), batch.timeout().toMillis() / 1000.0, batch.maxRetries(), batch.createdAt(),
                batch.cancelRequestedAt(), batch.finishedAt(), batch.callbackUrl(), batch.errorCallbackUrl());
    }

    /** A batch as its insert stored it: every item queued. */
    public static BatchView asStored(Batch batch) {
        return of(batch, new BatchCounts(batch.itemCount(), batch.itemCount(), 0, 0, 0, 0, 0));
    }

    /** A finished batch: every item is counted in its final state. */
    public static BatchView finished(Batch batch) {
        return of(batch, new BatchCounts(batch.itemCount(), 0, 0, batch.succeeded(), batch.failed(), batch.cancelled(),
                batch.retried()));
    }
}
