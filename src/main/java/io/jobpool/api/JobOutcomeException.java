package io.jobpool.api;

import io.jobpool.job.Job;
import io.jobpool.job.JobException;
import io.jobpool.job.JobStatus;
import java.util.HashMap;
import java.util.Map;

/** {@code get()} of a job that failed or was cancelled: 424 with the job's error, like Python re-raising it. */
final class JobOutcomeException extends JobException {

    JobOutcomeException(Job job) {
        super(job.status() == JobStatus.CANCELLED ? "job-cancelled" : "job-failed",
                job.status() == JobStatus.CANCELLED ? "Job cancelled" : "Job failed",
                job.status() == JobStatus.CANCELLED ? "job " + job.id() + " was cancelled"
                        : "job " + job.id() + " failed: " + job.error().type() + ": " + job.error().message(),
                extensions(job));
    }

    private static Map<String, Object> extensions(Job job) {
        Map<String, Object> extensions = new HashMap<>();
        extensions.put("jobId", job.id());
        extensions.put("error", job.error());
        return extensions;
    }
}
