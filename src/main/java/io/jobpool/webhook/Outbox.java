package io.jobpool.webhook;

import io.jobpool.job.JobIds;
import java.time.Clock;
import java.time.Instant;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import tools.jackson.databind.json.JsonMapper;

/**
 * The transactional outbox. An event source (a finished job; later a finished batch) calls
 * {@link #enqueue} inside the transaction that records the event, so the delivery commits with it
 * or not at all. The body is serialised now, so the event survives a later {@code forget()}.
 */
public final class Outbox {

    /** Subject type of job events. */
    public static final String JOB = "job";

    private final DeliveryStore store;
    private final JsonMapper json;
    private final RetryPolicy retries;
    private final JobIds ids;
    private final Runnable wakeWorker;
    private final Clock clock;

    Outbox(DeliveryStore store, JsonMapper json, RetryPolicy retries, JobIds ids, Runnable wakeWorker, Clock clock) {
        this.store = store;
        this.json = json;
        this.retries = retries;
        this.ids = ids;
        this.wakeWorker = wakeWorker;
        this.clock = clock;
    }

    /**
     * Stores {@code {"type", "timestamp", "data"}} for {@code url} in the caller's transaction and
     * wakes the delivery worker once that transaction commits (at once when there is none).
     */
    public void enqueue(String subjectType, String subjectId, String eventType, String url, Instant occurredAt, Object data) {
        Instant now = clock.instant();
        String id = ids.next();
        String payload = json.writeValueAsString(new Envelope(eventType, occurredAt, data));
        store.insert(new Delivery(id, subjectType, subjectId, eventType, url, payload, "msg_" + id.replace("-", ""),
                DeliveryStatus.PENDING, 0, now.plus(retries.firstDelay()), null, null, now, now));
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    wakeWorker.run();
                }
            });
        } else {
            wakeWorker.run();
        }
    }

    /** The Standard Webhooks body. */
    record Envelope(String type, Instant timestamp, Object data) {}
}
