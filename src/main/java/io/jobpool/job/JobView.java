package io.jobpool.job;

import com.fasterxml.jackson.annotation.JsonRawValue;
import java.time.Instant;
import java.util.List;

/**
 * A job as the API shows it. {@code args}, {@code kwargs} and {@code result} are written as the
 * JSON they were stored as, without a parse and re-serialise round trip.
 *
 * @param owner name of the API key that submitted the job; {@code null} when submitted to an open
 *     service
 */
public record JobView(
        String id, String task, @JsonRawValue String args, @JsonRawValue String kwargs, JobStatus status,
        boolean ready, Boolean successful, @JsonRawValue String result, JobError error, int attempts,
        int maxRetries, int priority, double timeoutSeconds, Instant createdAt, Instant scheduledAt,
        Instant startedAt, Instant finishedAt, String batchId, String owner, WorkerRef worker, Job.Progress progress,
        String callbackUrl, String errorCallbackUrl,
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        List<AttemptError> errors) {

    /**
     * The worker process that runs or ran the job: the replica ({@code node}) and the process id
     * there ({@code pid}, unknown while it runs on another replica).
     */
    public record WorkerRef(String node, Long pid) {}

    /**
     * A job as {@code GET /v1/jobs/{id}} shows it, without looking up the pid of a live worker:
     * exact for a finished job, whose worker pid is stored. Webhook payloads use it.
     */
    public static JobView of(Job job) {
        return of(job, null);
    }

    public static JobView of(Job job, Long runningPid) {
        return of(job, runningPid, null);
    }

    /** @param errors every failed attempt's error (only {@code GET /v1/jobs/{id}} reads them) */
    public static JobView of(Job job, Long runningPid, List<AttemptError> errors) {
        Long pid = job.workerPid() != null ? job.workerPid() : runningPid;
        // A chunk job waiting for a retry keeps the outcomes of its items so far, for its next
        // attempt and its batch; cancelled there, they are not its result (its batch then reports
        // the unfinished items as CancelledError): a result is a SUCCEEDED job's only.
        String result = job.status() == JobStatus.SUCCEEDED ? job.result() : null;
        return new JobView(job.id(), job.task(), job.args(), job.kwargs(), job.status(), job.ready(), job.successful(),
                result, job.error(), job.attempts(), job.maxRetries(), job.priority(),
                job.timeout().toMillis() / 1000.0, job.createdAt(), job.scheduledAt(), job.startedAt(), job.finishedAt(),
                job.batchId(), job.owner(), pid == null && job.workerNode() == null ? null : new WorkerRef(job.workerNode(), pid), job.progress(),
                job.callbackUrl(), job.errorCallbackUrl(), errors);
    }
}
