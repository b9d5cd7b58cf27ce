package io.jobpool.webhook;

import io.jobpool.api.JobView;
import io.jobpool.job.AttemptError;
import io.jobpool.job.Job;
import io.jobpool.job.JobStore;
import java.time.Clock;
import java.util.List;
import java.util.function.Function;

/**
 * Python's {@code callback} / {@code error_callback}: when a job reaches a final state (inside that
 * transaction) {@code job.succeeded} goes to its {@code callbackUrl}, {@code job.failed} and
 * {@code job.cancelled} to its {@code errorCallbackUrl}. The data is the job exactly as
 * {@code GET /v1/jobs/{id}} returns it.
 */
final class JobEvents implements JobStore.FinishedHook {

    private final Outbox outbox;
    private final Clock clock;
    private final Function<String, List<AttemptError>> attemptErrors;

    /** @param attemptErrors the job's attempt errors, read in the transaction that finishes it */
    JobEvents(Outbox outbox, Clock clock, Function<String, List<AttemptError>> attemptErrors) {
        this.outbox = outbox;
        this.clock = clock;
        this.attemptErrors = attemptErrors;
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
        outbox.enqueue(Outbox.JOB, job.id(), type, url, job.finishedAt() != null ? job.finishedAt() : clock.instant(),
                JobView.withErrors(job, attemptErrors.apply(job.id())));
    }
}
