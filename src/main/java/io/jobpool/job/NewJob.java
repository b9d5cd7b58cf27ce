package io.jobpool.job;

import java.time.Duration;
import java.time.Instant;

/**
 * A validated submission about to be stored.
 *
 * @param idempotencyKey the client's key scoped by owner, or {@code null}
 * @param requestHash digest of the submission, to tell a retry from a different request
 * @param claimed set when an idle worker of this node is already reserved for the job: it is
 *     stored RUNNING under this node's lease (one write instead of an insert and a claim)
 */
public record NewJob(
        String id, String task, String args, String kwargs, int priority, Duration timeout, int maxRetries,
        Instant createdAt, Instant scheduledAt, String callbackUrl, String errorCallbackUrl, String owner,
        String idempotencyKey, String requestHash, Claimed claimed) {

    /** A job to be stored QUEUED, for whichever node claims it. */
    public NewJob(String id, String task, String args, String kwargs, int priority, Duration timeout, int maxRetries,
            Instant createdAt, Instant scheduledAt, String callbackUrl, String errorCallbackUrl, String owner,
            String idempotencyKey, String requestHash) {
        this(id, task, args, kwargs, priority, timeout, maxRetries, createdAt, scheduledAt, callbackUrl, errorCallbackUrl,
                owner, idempotencyKey, requestHash, null);
    }

    /** The same job, stored already claimed by {@code node}: its first attempt starts at {@code createdAt}. */
    public NewJob claimedBy(String node, Instant leaseUntil) {
        return new NewJob(id, task, args, kwargs, priority, timeout, maxRetries, createdAt, scheduledAt, callbackUrl,
                errorCallbackUrl, owner, idempotencyKey, requestHash, new Claimed(node, leaseUntil));
    }

    /** The node whose idle worker takes the job at once, and its lease. */
    public record Claimed(String node, Instant leaseUntil) {}
}
