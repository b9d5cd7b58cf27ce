package io.jobpool.webhook;

import io.jobpool.job.BatchView;
import io.jobpool.job.Batch;
import io.jobpool.job.JobStatus;
import io.jobpool.job.BatchStore;
import java.time.Clock;
import java.util.Objects;

/**
 * {@code batch.completed}: when a batch's last chunk finishes (inside that transaction) the event
 * goes to the batch's {@code callbackUrl}, and also to its {@code errorCallbackUrl} when some item
 * failed or was cancelled (Python's {@code map_async(callback, error_callback)}). The data is the
 * batch as {@code GET /v1/batches/{id}} returns it.
 */
final class BatchEvents implements BatchStore.FinishedHook {

    /** Subject type of batch events in the outbox. */
    static final String BATCH = "batch";

    private final Outbox outbox;
    private final Clock clock;

    BatchEvents(Outbox outbox, Clock clock) {
        this.outbox = outbox;
        this.clock = clock;
    }

    @Override
    public void batchFinished(Batch batch) {
        BatchView data = BatchView.finished(batch);
        java.time.Instant at = batch.finishedAt() != null ? batch.finishedAt() : clock.instant();
        if (batch.callbackUrl() != null) {
            outbox.enqueue(BATCH, batch.id(), "batch.completed", batch.callbackUrl(), at, data);
        }
        if (batch.errorCallbackUrl() != null && batch.status() != JobStatus.SUCCEEDED
                && !Objects.equals(batch.errorCallbackUrl(), batch.callbackUrl())) {
            outbox.enqueue(BATCH, batch.id(), "batch.completed", batch.errorCallbackUrl(), at, data);
        }
    }
}
