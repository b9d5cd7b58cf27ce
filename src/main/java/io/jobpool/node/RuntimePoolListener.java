package io.jobpool.node;

import io.jobpool.metrics.JobMetrics;
import io.jobpool.pool.JobOutcome;
import io.jobpool.pool.PoolListener;
import java.time.Duration;

/**
 * What one runtime's pool reports: job outcomes go to the job service's completion (which does
 * not care which runtime ran a job), worker events to the metrics with the pool's {@code runtime}
 * label.
 */
final class RuntimePoolListener implements PoolListener {

    private final String runtime;
    private final PoolListener jobs;
    private final JobMetrics metrics;

    RuntimePoolListener(String runtime, PoolListener jobs, JobMetrics metrics) {
        this.runtime = runtime;
        this.jobs = jobs;
        this.metrics = metrics;
        metrics.restartReasons(runtime, RESTART_REASONS);
    }

    @Override
    public void jobFinished(JobOutcome outcome) {
        jobs.jobFinished(outcome);
    }

    @Override
    public void jobStarted(String jobId, long pid) {
        jobs.jobStarted(jobId, pid);
    }

    @Override
    public void jobProgress(String jobId, double fraction, String message) {
        jobs.jobProgress(jobId, fraction, message);
    }

    @Override
    public void workerRestarted(String reason) {
        metrics.workerRestarted(runtime, reason);
    }

    @Override
    public void leftoverProcessesKilled(String task, int count) {
        metrics.leftoverProcessesKilled(task, count);
    }

    @Override
    public void tasksRegistered(java.util.Set<String> tasks) {
        metrics.tasksRegistered(tasks);
    }

    @Override
    public void workerReady(Duration startup) {
        metrics.workerStarted(runtime, startup);
    }
}
