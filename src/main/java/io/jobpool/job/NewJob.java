package io.jobpool.job;

import java.time.Duration;
import java.time.Instant;

/**
 * A validated submission about to be stored.
 *
 * @param idempotencyKey the client's key scoped by owner, or {@code null}
 * @param requestHash digest of the submission, to tell a retry from a different request
 */
public record NewJob(
        String id, String task, String args, String kwargs, int priority, Duration timeout, int maxRetries,
        Instant createdAt, Instant scheduledAt, String callbackUrl, String errorCallbackUrl, String owner,
        String idempotencyKey, String requestHash) {}
