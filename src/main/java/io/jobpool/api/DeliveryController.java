package io.jobpool.api;

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

/** {@code /v1/jobs/{id}/deliveries}: the webhooks of a job, each attempt, and redelivery by hand. */
@RestController
// produces: a request whose Accept rules out JSON is refused (406) before the handler runs, so a
// submit, cancel or close whose answer the client cannot take has no effect either.
@RequestMapping(value = "/v1/jobs/{id}/deliveries", produces = MediaType.APPLICATION_JSON_VALUE)
class DeliveryController {

    private final JobService jobs;
    private final WebhookDeliveries deliveries;

    DeliveryController(JobService jobs, WebhookDeliveries deliveries) {
        this.jobs = jobs;
        this.deliveries = deliveries;
    }

    @GetMapping
    DeliveryList list(@PathVariable String id) {
        jobs.get(id, Caller.current().visibleOwner());
        return new DeliveryList(deliveries.forJob(id).stream().map(DeliveryView::of).toList());
    }

    @PostMapping("/{deliveryId}/retry")
    DeliveryView retry(@PathVariable String id, @PathVariable String deliveryId) {
        jobs.get(id, Caller.current().visibleOwner());
        return DeliveryView.of(deliveries.retry(id, deliveryId));
    }

    /** Body of {@code GET /v1/jobs/{id}/deliveries}. */
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
