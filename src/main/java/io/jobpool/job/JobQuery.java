package io.jobpool.job;

/**
 * A page of the job list, newest first.
 *
 * @param afterId the last id of the previous page (the cursor), or {@code null}
 */
public record JobQuery(JobStatus status, String task, String batchId, String owner, String afterId, int limit) {}
