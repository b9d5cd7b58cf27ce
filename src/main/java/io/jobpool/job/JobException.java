package io.jobpool.job;

import java.util.List;
import java.util.Map;

/**
 * A request the service refuses, named by its stable problem {@code type} (part of the API
 * contract). Which HTTP status a type answers with is the API layer's decision, not the job core's.
 */
public class JobException extends RuntimeException {

    private final String type;
    private final String title;
    private final Map<String, Object> extensions;

    protected JobException(String type, String title, String detail, Map<String, Object> extensions) {
        super(detail);
        this.type = type;
        this.title = title;
        this.extensions = extensions;
    }

    public String type() {
        return type;
    }

    public String title() {
        return title;
    }

    public Map<String, Object> extensions() {
        return extensions;
    }

    public static JobException notFound(String id) {
        return new JobException("not-found", "Not found", "no job with id '" + id + "'", Map.of());
    }

    public static JobException notReady(String id) {
        return new JobException("job-not-ready", "Job not ready", "job " + id + " has not finished yet", Map.of("jobId", id));
    }

    public static JobException finished(Job job) {
        return new JobException("job-finished", "Job already finished",
                "job " + job.id() + " already finished with status " + job.status(), Map.of("jobId", job.id()));
    }

    /** A batch's chunk lives and dies with its batch: forgetting it alone would leave a hole in the batch's results. */
    public static JobException batchChunk(Job job) {
        return new JobException("batch-chunk", "Job belongs to a batch",
                "job " + job.id() + " is a chunk of batch " + job.batchId() + "; forget the whole batch with DELETE /v1/batches/"
                        + job.batchId(), Map.of("jobId", job.id(), "batchId", job.batchId()));
    }

    public static JobException queueFull(int capacity) {
        return new JobException("queue-full", "Queue full",
                "the queue holds its capacity of " + capacity + " jobs; retry later", Map.of());
    }

    /** A batch whose {@code needed} chunk jobs do not fit beside the {@code queued} ones. */
    public static JobException queueFull(int capacity, long queued, int needed) {
        return new JobException("queue-full", "Queue full", "the queue holds " + queued + " of its capacity of " + capacity
                + " jobs and this batch needs room for " + needed + "; retry later", Map.of());
    }

    /** A caller already has as many waiting requests open as it may ({@code jobpool.security.max-long-polls-per-key}). */
    public static JobException tooManyWaits(int limit) {
        return new JobException("too-many-waits", "Too many waiting requests",
                "this caller already has " + limit + " waiting requests open (jobpool.security.max-long-polls-per-key);"
                        + " retry when one has answered", Map.of());
    }

    public static JobException poolClosed() {
        return new JobException("pool-closed", "Pool closed",
                "the pool is closed to new work on every replica (POST /v1/pool/open reopens it)",
                Map.of());
    }

    public static JobException unknownTask(String task, List<String> known) {
        return new JobException("unknown-task", "Unknown task",
                "no task named '" + task + "' is registered; known tasks: " + String.join(", ", known), Map.of());
    }

    public static JobException idempotencyConflict(String key, String jobId) {
        return new JobException("idempotency-conflict", "Idempotency key reused",
                "Idempotency-Key '" + key + "' was used for a different request (job " + jobId + ")", Map.of("jobId", jobId));
    }

    public static JobException payloadTooLarge(String what, long size, long limit, String setting) {
        return payloadTooLarge(what, Long.toString(size), limit, setting);
    }

    /** @param size what is known of the size: {@code "more than 2097152"} for a body whose reading stopped at the limit */
    public static JobException payloadTooLarge(String what, String size, long limit, String setting) {
        return new JobException("payload-too-large", "Payload too large",
                what + " is " + size + " bytes; the limit is " + limit + " (" + setting + ")", Map.of());
    }

    /** One or more fields are invalid; {@code errors} lists {@code {field, message}} pairs. */
    public static JobException validation(List<FieldError> errors) {
        String detail = errors.stream().map(e -> e.field() + ": " + e.message()).reduce((a, b) -> a + "; " + b).orElse("invalid request");
        return new JobException("validation", "Invalid request", detail, Map.of("errors", errors));
    }

    public static JobException validation(String field, String message) {
        return validation(List.of(new FieldError(field, message)));
    }

    /** A field and what is wrong with it. */
    public record FieldError(String field, String message) {}
}
