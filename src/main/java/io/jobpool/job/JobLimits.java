package io.jobpool.job;

import java.time.Duration;
import java.util.List;

/** The configured bounds a submission is checked against. */
public record JobLimits(
        Duration defaultTimeout, Duration maxTimeout, long maxPayloadBytes, int maxRetries, Duration maxDelay,
        Duration maxWait, int queueCapacity) {

    /**
     * Adds an error for each job option outside these bounds. The API calls it along with its own
     * checks of the body, so one answer names every offending field; the job service calls it for
     * every submission, single or batch.
     *
     * @param timeout {@code null} for the default
     * @param delay {@code null} when the client's value was refused already
     */
    public void checkOptions(List<JobException.FieldError> errors, Duration timeout, Duration delay, int maxRetries) {
        Duration effective = timeout == null ? defaultTimeout : timeout;
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            errors.add(new JobException.FieldError("timeoutSeconds", "must be greater than 0"));
        } else if (timeout != null && timeout.compareTo(Duration.ofMillis(1)) < 0) {
            // Timeouts are kept in milliseconds: a smaller one would be stored, shown and enforced as 0.
            errors.add(new JobException.FieldError("timeoutSeconds", "must be at least 0.001 (one millisecond)"));
        } else if (effective.compareTo(maxTimeout) > 0) {
            errors.add(new JobException.FieldError("timeoutSeconds",
                    "must be at most " + maxTimeout.toSeconds() + " (jobpool.jobs.max-timeout)"));
        }
        if (delay != null && delay.isNegative()) {
            errors.add(new JobException.FieldError("delaySeconds", "must not be negative"));
        } else if (delay != null && delay.compareTo(maxDelay) > 0) {
            errors.add(new JobException.FieldError("delaySeconds", "must be at most " + maxDelay.toSeconds() + " (jobpool.jobs.max-delay)"));
        }
        if (maxRetries < 0 || maxRetries > this.maxRetries) {
            errors.add(new JobException.FieldError("maxRetries", "must be between 0 and " + this.maxRetries + " (jobpool.jobs.max-retries)"));
        }
    }
}
