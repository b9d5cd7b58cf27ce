package io.jobpool.webhook;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The retry schedule ({@code jobpool.webhooks.retry-schedule}): entry {@code n} is the delay before
 * attempt {@code n + 1}, so the first is the delay after the event and the length is the number of
 * attempts. Delays get up to 10% jitter so deliveries that failed together do not retry in lockstep.
 */
final class RetryPolicy {

    /** A longer {@code Retry-After} is cut to this, so a receiver cannot park a delivery forever. */
    static final Duration MAX_RETRY_AFTER = Duration.ofHours(24);

    private final List<Duration> schedule;

    RetryPolicy(List<Duration> schedule) {
        if (schedule.isEmpty() || schedule.stream().anyMatch(Duration::isNegative)) {
            throw new IllegalArgumentException("jobpool.webhooks.retry-schedule needs at least one delay and no negative ones: " + schedule);
        }
        this.schedule = List.copyOf(schedule);
    }

    Duration firstDelay() {
        return schedule.getFirst();
    }

    int maxAttempts() {
        return schedule.size();
    }

    /** The outcome of {@code attempt} (1-based): delivered, stopped, another attempt, or given up. */
    Verdict judge(int attempt, AttemptResult result, Instant now) {
        if (result.succeeded()) {
            return new Verdict(DeliveryStatus.DELIVERED, null, null);
        }
        if (result.gone()) {
            return new Verdict(DeliveryStatus.STOPPED, null, "the receiver answered 410 Gone and wants no more attempts");
        }
        if (attempt >= schedule.size()) {
            return new Verdict(DeliveryStatus.FAILED, null,
                    "gave up after " + attempt + " attempts (jobpool.webhooks.retry-schedule); last: " + result.describe());
        }
        Duration delay = jitter(schedule.get(attempt));
        if (result.retryAfter() != null && result.retryAfter().compareTo(delay) > 0) {
            delay = result.retryAfter().compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : result.retryAfter();
        }
        return new Verdict(DeliveryStatus.PENDING, now.plus(delay), result.describe());
    }

    private static Duration jitter(Duration delay) {
        long millis = delay.toMillis();
        return millis < 10 ? delay : delay.plusMillis(ThreadLocalRandom.current().nextLong(millis / 10 + 1));
    }

    /**
     * What a delivery becomes after an attempt.
     *
     * @param nextAttemptAt when the next attempt is due; {@code null} unless PENDING
     * @param reason why it did not succeed, or {@code null}
     */
    record Verdict(DeliveryStatus status, Instant nextAttemptAt, String reason) {}
}
