package io.jobpool.webhook;

import io.jobpool.job.AttemptError;
import io.jobpool.job.JobView;
import io.jobpool.job.Job;
import io.jobpool.job.JobStore;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Python's {@code callback} / {@code error_callback}: when a job reaches a final state (inside that
 * transaction) {@code job.succeeded} goes to its {@code callbackUrl}, {@code job.failed} and
 * {@code job.cancelled} to its {@code errorCallbackUrl}. The data is the job exactly as
 * {@code GET /v1/jobs/{id}} returns it.
 */
final class JobEvents implements JobStore.FinishedHook {

    private final Outbox outbox;
    private final Function<String, Optional<Job>> jobs;
    private final Function<String, List<AttemptError>> attemptErrors;
    private final Clock clock;

    /**
     * @param jobs the whole job, args and result included, read in the finishing transaction
     * @param attemptErrors every failed attempt's error of a job, read in the finishing transaction
     */
    JobEvents(Outbox outbox, Function<String, Optional<Job>> jobs, Function<String, List<AttemptError>> attemptErrors, Clock clock) {
        this.outbox = outbox;
        this.jobs = jobs;
        this.attemptErrors = attemptErrors;
        this.clock = clock;
    }

    @Override
    public void jobFinished(Job job) {
        String url = switch (job.status()) {
            case SUCCEEDED -> job.callbackUrl();
            case FAILED, CANCELLED -> job.errorCallbackUrl();
            case QUEUED, RUNNING -> throw new IllegalStateException("job " + job.id() + " is not finished: " + job.status());
        };
        if (url == null) {
            return;
        }
        String type = "job." + job.status().name().toLowerCase(java.util.Locale.ROOT);
        Job whole = jobs.apply(job.id()).orElseThrow();
        outbox.enqueue(Outbox.JOB, job.id(), type, url, job.finishedAt() != null ? job.finishedAt() : clock.instant(),
                JobView.of(whole, null, attemptErrors.apply(job.id())));
    }
}
