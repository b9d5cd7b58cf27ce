package io.jobpool.api;

import io.jobpool.job.BatchService;
import io.jobpool.job.JobService;
import io.jobpool.security.Caller;
import io.jobpool.webhook.DeliveryHistory;
import io.jobpool.webhook.DeliveryStatus;
import io.jobpool.webhook.WebhookDeliveries;
import java.time.Instant;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /v1/jobs/{id}/deliveries} and {@code /v1/batches/{id}/deliveries}: the webhooks of a job
 * or a batch, each attempt, and redelivery by hand.
 */
@RestController
// produces: a request whose Accept rules out JSON is refused (406) before the handler runs, so a
// submit, cancel or close whose answer the client cannot take has no effect either.
@RequestMapping(produces = MediaType.APPLICATION_JSON_VALUE)
class DeliveryController {

    private final JobService jobs;
    private final BatchService batches;
    private final WebhookDeliveries deliveries;

    DeliveryController(JobService jobs, BatchService batches, WebhookDeliveries deliveries) {
        this.jobs = jobs;
        this.batches = batches;
        this.deliveries = deliveries;
    }

    @GetMapping("/v1/jobs/{id}/deliveries")
    DeliveryList listForJob(@PathVariable String id) {
        jobs.get(id, Caller.current().visibleOwner());
        return list(deliveries.forJob(id));
    }

    @PostMapping("/v1/jobs/{id}/deliveries/{deliveryId}/retry")
    DeliveryView retryForJob(@PathVariable String id, @PathVariable String deliveryId) {
        jobs.get(id, Caller.current().visibleOwner());
        return DeliveryView.of(deliveries.retryForJob(id, deliveryId));
    }

    @GetMapping("/v1/batches/{id}/deliveries")
    DeliveryList listForBatch(@PathVariable String id) {
        batches.get(id, Caller.current().visibleOwner());
        return list(deliveries.forBatch(id));
    }

    @PostMapping("/v1/batches/{id}/deliveries/{deliveryId}/retry")
    DeliveryView retryForBatch(@PathVariable String id, @PathVariable String deliveryId) {
        batches.get(id, Caller.current().visibleOwner());
        return DeliveryView.of(deliveries.retryForBatch(id, deliveryId));
    }

    private static DeliveryList list(List<DeliveryHistory> histories) {
        return new DeliveryList(histories.stream().map(DeliveryView::of).toList());
    }

    /** Body of {@code GET .../deliveries}. */
    record DeliveryList(List<DeliveryView> deliveries) {}

    /**
     * One delivery as the API shows it.
     *
     * @param nextAttemptAt when the next attempt is due; {@code null} once DELIVERED, FAILED or STOPPED
     * @param lastError why it has not been delivered (the last failure, or why it gave up or stopped)
     */
    record DeliveryView(String id, String event, String url, String webhookId, DeliveryStatus status,
            List<AttemptView> attempts, Instant nextAttemptAt, String lastError, Instant createdAt) {

        static DeliveryView of(DeliveryHistory history) {
            var d = history.delivery();
            return new DeliveryView(d.id(), d.eventType(), d.url(), d.webhookId(), d.status(),
                    history.attempts().stream().map(a -> new AttemptView(a.at(), a.statusCode(), a.error())).toList(),
                    d.nextAttemptAt(), d.lastError(), d.createdAt());
        }
    }

    /** One attempt: when, and the receiver's status code or the error that kept it from answering. */
    record AttemptView(Instant at, Integer statusCode, String error) {}
}
