package io.jobpool.webhook;

import java.time.Clock;
import java.util.List;

/** What the API shows and does with a job's or a batch's deliveries: list them, redeliver one by hand. */
public final class WebhookDeliveries {

    private final DeliveryStore store;
    private final Runnable wakeWorker;
    private final Clock clock;

    WebhookDeliveries(DeliveryStore store, Runnable wakeWorker, Clock clock) {
        this.store = store;
        this.wakeWorker = wakeWorker;
        this.clock = clock;
    }

    /** The job's deliveries, oldest first, each with its attempts. */
    public List<DeliveryHistory> forJob(String jobId) {
        return store.forSubject(Outbox.JOB, jobId);
    }

    /** The batch's {@code batch.completed} deliveries, oldest first, each with its attempts. */
    public List<DeliveryHistory> forBatch(String batchId) {
        return store.forSubject(BatchEvents.BATCH, batchId);
    }

    /**
     * Makes the delivery due at once, with the same webhook-id, whatever its status. A delivery
     * being sent right now is returned as it is: that attempt already is the redelivery. An attempt
     * made this way that fails is retried only while the retry schedule has attempts left.
     *
     * @throws io.jobpool.job.JobException {@code not-found} if the job has no such delivery
     */
    public DeliveryHistory retryForJob(String jobId, String deliveryId) {
        return retry(Outbox.JOB, jobId, deliveryId);
    }

    /** As {@link #retryForJob}, for a batch's delivery. */
    public DeliveryHistory retryForBatch(String batchId, String deliveryId) {
        return retry(BatchEvents.BATCH, batchId, deliveryId);
    }

    private DeliveryHistory retry(String subjectType, String subjectId, String deliveryId) {
        if (store.requeue(subjectType, subjectId, deliveryId, clock.instant())) {
            wakeWorker.run();
        }
        return store.find(subjectType, subjectId, deliveryId)
                .orElseThrow(() -> new DeliveryNotFoundException(subjectType, subjectId, deliveryId));
    }
}
