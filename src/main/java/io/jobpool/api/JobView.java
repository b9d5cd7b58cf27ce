package io.jobpool.api;

import com.fasterxml.jackson.annotation.JsonRawValue;
import io.jobpool.job.AttemptError;
import io.jobpool.job.Job;
import io.jobpool.job.JobError;
import io.jobpool.job.JobStatus;
import java.time.Instant;
import java.util.List;

/**
 * A job as the API shows it. {@code args}, {@code kwargs} and {@code result} are written as the
 * JSON they were stored as, without a parse and re-serialise round trip.
 */
public record JobView(
        String id, String task, @JsonRawValue String args, @JsonRawValue String kwargs, JobStatus status,
        boolean ready, Boolean successful, @JsonRawValue String result, JobError error, int attempts,
        int maxRetries, int priority, double timeoutSeconds, Instant createdAt, Instant scheduledAt,
        Instant startedAt, Instant finishedAt, String batchId, WorkerRef worker, Job.Progress progress,
        String callbackUrl, String errorCallbackUrl,
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        List<AttemptError> errors) {

    /** The worker process that runs or ran the job. */
    public record WorkerRef(long pid) {}

    /**
     * A job as {@code GET /v1/jobs/{id}} shows it, without looking up the pid of a live worker:
     * exact for a finished job, whose worker pid is stored. Webhook payloads use it.
     */
    public static JobView of(Job job) {
        return of(job, null);
    }

    /** A finished job with its attempts' errors, exactly as {@code GET /v1/jobs/{id}} shows it; webhook payloads use it. */
    public static JobView withErrors(Job job, List<AttemptError> errors) {
        return of(job, null, errors);
    }

    static JobView of(Job job, Long runningPid) {
        return of(job, runningPid, null);
    }

    /** @param errors every failed attempt's error (only {@code GET /v1/jobs/{id}} reads them) */
    static JobView of(Job job, Long runningPid, List<AttemptError> errors) {
        Long pid = job.workerPid() != null ? job.workerPid() : runningPid;
        return new JobView(job.id(), job.task(), job.args(), job.kwargs(), job.status(), job.ready(), job.successful(),
                job.result(), job.error(), job.attempts(), job.maxRetries(), job.priority(),
                job.timeout().toMillis() / 1000.0, job.createdAt(), job.scheduledAt(), job.startedAt(), job.finishedAt(),
                job.batchId(), pid == null ? null : new WorkerRef(pid), job.progress(), job.callbackUrl(), job.errorCallbackUrl(), errors);
    }
}
