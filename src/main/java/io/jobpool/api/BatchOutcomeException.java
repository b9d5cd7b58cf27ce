package io.jobpool.api;

import io.jobpool.job.Batch;
import io.jobpool.job.JobException;
import io.jobpool.job.JobStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code map()} of a batch in which items failed or were cancelled: 424 listing each failed item's
 * index and error, like Python's {@code map} re-raising, but without hiding the other failures.
 */
final class BatchOutcomeException extends JobException {

    /** Most failures listed in one answer; the NDJSON stream gives every item. */
    static final int MAX_LISTED = 10_000;

    /** One failed item: its index in {@code items} and what it raised. */
    record Failure(int index, ItemError error) {}

    /** What a failed item raised (its trace is on the NDJSON line and the chunk job). */
    record ItemError(String type, String message) {}

    BatchOutcomeException(Batch batch, List<Failure> failures) {
        super(batch.status() == JobStatus.CANCELLED ? "job-cancelled" : "job-failed",
                batch.status() == JobStatus.CANCELLED ? "Batch cancelled" : "Batch failed",
                "batch " + batch.id() + ": " + batch.failed() + " of " + batch.itemCount() + " items failed"
                        + (batch.cancelled() > 0 ? ", " + batch.cancelled() + " cancelled" : ""),
                extensions(batch, failures));
    }

    private static Map<String, Object> extensions(Batch batch, List<Failure> failures) {
        Map<String, Object> extensions = new LinkedHashMap<>();
        extensions.put("batchId", batch.id());
        extensions.put("failed", batch.failed());
        extensions.put("cancelled", batch.cancelled());
        extensions.put("failures", failures);
        extensions.put("failuresTruncated", batch.failed() > failures.size());
        return extensions;
    }
}
