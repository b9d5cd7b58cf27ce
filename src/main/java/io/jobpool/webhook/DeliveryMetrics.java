package io.jobpool.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code jobpool_webhook_deliveries_total{outcome}}, one count per attempt: {@code delivered},
 * {@code failed} (another attempt follows), {@code gave_up} (the schedule ran out), {@code stopped}
 * (410 Gone); and {@code jobpool_webhook_deliveries_pending}, read from the outbox so it counts
 * every replica's deliveries.
 */
final class DeliveryMetrics {

    private final Map<DeliveryStatus, Counter> outcomes;

    DeliveryMetrics(MeterRegistry registry, DeliveryStore store) {
        // Registered up front so dashboards see zeros rather than missing series.
        this.outcomes = Stream.of(DeliveryStatus.values()).collect(Collectors.toUnmodifiableMap(Function.identity(),
                status -> Counter.builder("jobpool.webhook.deliveries").description("Webhook delivery attempts by outcome")
                        .tag("outcome", outcome(status)).register(registry)));
        Gauge.builder("jobpool.webhook.deliveries.pending", new io.jobpool.job.StoreGauge("the pending webhook deliveries",
                        store::countPending), java.util.function.DoubleSupplier::getAsDouble).strongReference(true)
                .description("Webhook deliveries waiting for their next attempt or being sent").register(registry);
    }

    /** Counts an attempt by what the delivery became. */
    void attempted(DeliveryStatus becomes) {
        outcomes.get(becomes).increment();
    }

    private static String outcome(DeliveryStatus status) {
        return switch (status) {
            case PENDING -> "failed";
            case DELIVERED -> "delivered";
            case FAILED -> "gave_up";
            case STOPPED -> "stopped";
        };
    }
}
