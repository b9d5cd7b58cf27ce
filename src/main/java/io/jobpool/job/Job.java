package io.jobpool.job;

import java.time.Duration;
import java.time.Instant;

/**
 * A job as stored. {@code args}, {@code kwargs} and {@code result} are JSON text: the service
 * stores and returns them without interpreting them. {@code workerNode} is the replica that ran
 * (or runs) the latest attempt.
 */
public record Job(
        String id, String task, String args, String kwargs, JobStatus status, int priority,
        Duration timeout, int maxRetries, int attempts, int redeliveries, String result, JobError error,
        Instant createdAt, Instant scheduledAt, Instant startedAt, Instant finishedAt, String batchId,
        Long workerPid, String callbackUrl, String errorCallbackUrl, String owner, Progress progress, String workerNode) {

    /** What the task last reported through {@code TaskContext.progress}. */
    public record Progress(double fraction, String message) {}

    /** The same job with these args and result (a job that came back from the store without them). */
    public Job withPayload(String args, String result) {
        return new Job(id, task, args, kwargs, status, priority, timeout, maxRetries, attempts, redeliveries, result, error,
                createdAt, scheduledAt, startedAt, finishedAt, batchId, workerPid, callbackUrl, errorCallbackUrl, owner, progress,
                workerNode);
    }

    public boolean ready() {
        return status.isTerminal();
    }

    /** {@code successful()}: {@code null} until the job is ready. */
    public Boolean successful() {
        return ready() ? status == JobStatus.SUCCEEDED : null;
    }
}
