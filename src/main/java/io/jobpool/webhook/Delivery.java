package io.jobpool.webhook;

import java.time.Instant;

/**
 * One event for one URL, as stored in the outbox.
 *
 * @param subjectType what the event is about: {@code job} (later {@code batch})
 * @param payload the exact body sent, serialised when the event happened
 * @param webhookId the {@code webhook-id} header, the same on every attempt so receivers can dedupe
 * @param attempts attempts started so far
 * @param nextAttemptAt when the next attempt is due; {@code null} once final
 */
public record Delivery(
        String id, String subjectType, String subjectId, String eventType, String url, String payload, String webhookId,
        DeliveryStatus status, int attempts, Instant nextAttemptAt, Integer lastStatusCode, String lastError,
        Instant createdAt, Instant updatedAt) {}
