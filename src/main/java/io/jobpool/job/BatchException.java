package io.jobpool.job;

import java.util.Map;

/** A batch request the service refuses; the problem types are the jobs' own. */
public final class BatchException extends JobException {

    private BatchException(String type, String title, String detail, Map<String, Object> extensions) {
        super(type, title, detail, extensions);
    }

    public static BatchException notFound(String id) {
        return new BatchException("not-found", "Not found", "no batch with id '" + id + "'", Map.of());
    }

    public static BatchException notReady(String id) {
        return new BatchException("job-not-ready", "Batch not ready", "batch " + id + " has not finished yet",
                Map.of("batchId", id));
    }

    public static BatchException finished(Batch batch) {
        return new BatchException("job-finished", "Batch already finished",
                "batch " + batch.id() + " already finished with status " + batch.status(), Map.of("batchId", batch.id()));
    }

    /** A cancel of a batch that another cancel reached first (concurrently: sequentially, it has finished). */
    public static BatchException alreadyCancelled(Batch batch) {
        return batch.ready() ? finished(batch) : new BatchException("job-finished", "Batch already cancelled",
                "batch " + batch.id() + " was already cancelled at " + batch.cancelRequestedAt() + "; its chunks are being stopped",
                Map.of("batchId", batch.id()));
    }

    public static BatchException tooManyItems(long items, long limit) {
        return new BatchException("payload-too-large", "Payload too large",
                "the batch has " + items + " items; the limit is " + limit + " (jobpool.jobs.max-batch-items)", Map.of());
    }

    public static BatchException idempotencyConflict(String key, String batchId) {
        return new BatchException("idempotency-conflict", "Idempotency key reused",
                "Idempotency-Key '" + key + "' was used for a different request (batch " + batchId + ")", Map.of("batchId", batchId));
    }
}
