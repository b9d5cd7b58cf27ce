package io.jobpool.job;

import java.time.Duration;

/**
 * A client's submission, parsed but not yet checked against the configured bounds.
 *
 * @param args JSON array text
 * @param kwargs JSON object text
 * @param timeout {@code null} for the default
 * @param idempotencyKey the {@code Idempotency-Key} header, or {@code null}
 */
public record Submission(
        String task, String args, String kwargs, Duration timeout, int priority, Duration delay, int maxRetries,
        String callbackUrl, String errorCallbackUrl, String owner, String idempotencyKey) {}
