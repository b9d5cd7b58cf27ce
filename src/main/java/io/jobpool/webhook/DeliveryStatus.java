package io.jobpool.webhook;

/**
 * Where a delivery stands. PENDING waits for its next attempt (or is being sent); the others are
 * final until someone retries it by hand.
 */
public enum DeliveryStatus {
    /** Waiting for its next attempt, or being sent. */
    PENDING,
    /** The receiver answered 2xx. */
    DELIVERED,
    /** Every attempt of the retry schedule failed; the reason is kept. */
    FAILED,
    /** The receiver answered 410 Gone: it wants no more. */
    STOPPED
}
