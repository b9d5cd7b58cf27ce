package io.jobpool.job;

import java.time.Instant;

/**
 * One compare-and-set on a job: from {@code from} to {@code to}, writing the given fields
 * ({@code null} leaves a field as it is).
 *
 * @param owner when set, the change only applies while this node holds the job
 * @param attemptsDelta added to {@code attempts} (a shutdown hands an attempt back)
 * @param redeliveriesDelta added to {@code redeliveries} (a lost node or worker)
 * @param progress the task's last progress report, written with the change so it is never lost to a race
 * @param items a finished chunk's outcomes summed up by the node that ran it ({@code null}: the
 *     store reads them itself)
 */
public record JobTransition(
        String id, JobStatus from, JobStatus to, String owner, String result, JobError error, String logs,
        Long workerPid, Instant finishedAt, Instant scheduledAt, int attemptsDelta, int redeliveriesDelta,
        Job.Progress progress, ChunkItems.Summary items) {

    public JobTransition {
        from.requireCanMoveTo(to);
    }

    /** The same change, also recording the task's last progress report (if any). */
    public JobTransition withProgress(Job.Progress last) {
        return new JobTransition(id, from, to, owner, result, error, logs, workerPid, finishedAt, scheduledAt, attemptsDelta,
                redeliveriesDelta, last, items);
    }

    /** The same change, also recording the worker process that ran the job ({@code null}: unknown here). */
    public JobTransition withWorkerPid(Long pid) {
        return new JobTransition(id, from, to, owner, result, error, logs, pid, finishedAt, scheduledAt, attemptsDelta,
                redeliveriesDelta, progress, items);
    }

    public static JobTransition succeeded(String id, String owner, String result, String logs, long pid, Instant now) {
        return new JobTransition(id, JobStatus.RUNNING, JobStatus.SUCCEEDED, owner, result, null, logs, pid, now, null, 0, 0, null, null);
    }

    public static JobTransition failed(String id, String owner, JobError error, String logs, Long pid, Instant now) {
        return new JobTransition(id, JobStatus.RUNNING, JobStatus.FAILED, owner, null, error, logs, pid, now, null, 0, 0, null, null);
    }

    /** Back to the queue to run again at {@code at}; the error of this attempt is kept. */
    public static JobTransition retry(String id, String owner, JobError error, String logs, Long pid, Instant at) {
        return new JobTransition(id, JobStatus.RUNNING, JobStatus.QUEUED, owner, null, error, logs, pid, null, at, 0, 0, null, null);
    }

    /**
     * A batch chunk some of whose items failed goes back to the queue; its per-item outcomes are
     * kept as its result so the next attempt runs only the items that failed.
     */
    public static JobTransition retryChunk(String id, String owner, JobError error, String outcomes, String logs, Long pid,
            Instant at) {
        return new JobTransition(id, JobStatus.RUNNING, JobStatus.QUEUED, owner, outcomes, error, logs, pid, null, at, 0, 0, null, null);
    }

    /**
     * A batch chunk ran every item; {@code itemFailures} (or {@code null}) sums up the items that
     * failed, which keeps that attempt's error in the job's history, and {@code items} (or
     * {@code null}) sums up its outcomes for the batch's counts.
     */
    public static JobTransition chunkDone(String id, String owner, String outcomes, JobError itemFailures, ChunkItems.Summary items,
            String logs, long pid, Instant now) {
        return new JobTransition(id, JobStatus.RUNNING, JobStatus.SUCCEEDED, owner, outcomes, itemFailures, logs, pid, now, null,
                0, 0, null, items);
    }

    /**
     * Back to the queue without counting the attempt: the service, not the job, stopped it. It
     * keeps its place (priority, then original schedule) ahead of jobs that came later.
     */
    public static JobTransition interrupted(String id, String owner) {
        return new JobTransition(id, JobStatus.RUNNING, JobStatus.QUEUED, owner, null, null, null, null, null, null, -1, 0, null, null);
    }

    /**
     * Back to the queue after its node or worker was lost, keeping its place in the queue; {@code
     * lost} says so in the job's history of attempts, since that attempt counted.
     *
     * @param owner the lost node, as the reaper read the job: if another node has claimed the job
     *     since (another reaper put it back first), this changes nothing
     */
    public static JobTransition redelivered(String id, String owner, JobError lost) {
        return new JobTransition(id, JobStatus.RUNNING, JobStatus.QUEUED, owner, null, lost, null, null, null, null, 0, 1, null, null);
    }

    /** @param reason why, when not a client's own cancel (a pool terminate); {@code null} otherwise */
    public static JobTransition cancelled(String id, JobStatus from, JobError reason, Instant now) {
        return new JobTransition(id, from, JobStatus.CANCELLED, null, null, reason, null, null, now, null, 0, 0, null, null);
    }
}
