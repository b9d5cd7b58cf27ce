package io.jobpool.job;

import java.util.List;

/**
 * One page of the job list.
 *
 * @param more whether jobs follow this page (the next page starts after its last id)
 */
public record ListedJobs(List<Job> jobs, boolean more) {}
