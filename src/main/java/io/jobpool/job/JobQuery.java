package io.jobpool.job;

/**
 * A page of the job list, newest first.
 *
 * @param afterId the last id of the previous page (the cursor), or {@code null}
 * @param limit most jobs on the page
 * @param maxBytes a page ends early once its jobs' arguments, results and errors pass this size
 *     (it always holds at least one job), so listing large results cannot exhaust memory
 */
public record JobQuery(JobStatus status, String task, String batchId, String owner, String afterId, int limit,
        long maxBytes) {}
