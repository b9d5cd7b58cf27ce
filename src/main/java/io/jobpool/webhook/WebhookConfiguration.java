package io.jobpool.webhook;

import io.jobpool.config.JobpoolProperties;
import io.jobpool.config.NodeIdentity;
import io.jobpool.job.JobIds;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/** Wires the webhook path: guard, signer, outbox, job events, delivery worker. Each bean is created here, explicitly. */
@Configuration(proxyBeanMethods = false)
class WebhookConfiguration {

    private static final Logger log = LoggerFactory.getLogger(WebhookConfiguration.class);

    /** Other replicas' retries are seen within this; this replica's own are woken for on time. */
    private static final Duration POLL_INTERVAL = Duration.ofMillis(500);

    @Bean
    TargetGuard callbackTargets(JobpoolProperties properties) {
        JobpoolProperties.Webhooks webhooks = properties.webhooks();
        if (webhooks.allowPrivateTargets()) {
            log.warn("jobpool.webhooks.allow-private-targets=true: callbacks may reach loopback, private and cloud metadata addresses");
        }
        return new TargetGuard(webhooks.allowPrivateTargets(), webhooks.allowedHosts(), InetAddress::getAllByName);
    }

    @Bean
    WebhookSigner webhookSigner(JobpoolProperties properties) {
        JobpoolProperties.Webhooks webhooks = properties.webhooks();
        WebhookSigner signer = new WebhookSigner(List.of(
                new WebhookSigner.Setting("jobpool.webhooks.secret", webhooks.secret()),
                new WebhookSigner.Setting("jobpool.webhooks.secondary-secret", webhooks.secondarySecret())));
        if (!signer.signs()) {
            log.warn("jobpool.webhooks.secret is not set: webhooks are sent without a webhook-signature and receivers cannot verify them");
        }
        return signer;
    }

    @Bean
    RetryPolicy webhookRetryPolicy(JobpoolProperties properties) {
        return new RetryPolicy(properties.webhooks().retrySchedule());
    }

    @Bean
    DeliveryStore deliveryStore(JdbcClient jdbc, TransactionTemplate transactions, NodeIdentity node) {
        return new DeliveryStore(jdbc, transactions, node.embedded());
    }

    @Bean
    DeliveryMetrics deliveryMetrics(MeterRegistry registry, DeliveryStore store) {
        return new DeliveryMetrics(registry, store);
    }

    @Bean
    WebhookSender webhookSender(TargetGuard guard, WebhookSigner signer, JobpoolProperties properties, Clock clock) {
        return new WebhookSender(guard, signer, properties.webhooks().timeout(), clock);
    }

    @Bean
    DeliveryWorker deliveryWorker(DeliveryStore store, WebhookSender sender, RetryPolicy retries, DeliveryMetrics metrics,
            NodeIdentity node, JobpoolProperties properties, Clock clock) {
        JobpoolProperties.Webhooks webhooks = properties.webhooks();
        // An attempt takes at most twice the timeout (connect, then response); the lease adds room to record it.
        Duration attempt = webhooks.timeout().multipliedBy(2);
        DeliveryWorker.Settings settings = new DeliveryWorker.Settings(webhooks.concurrency(), attempt.plusSeconds(10), attempt,
                POLL_INTERVAL, properties.results().ttl(), node.embedded());
        return new DeliveryWorker(store, sender, retries, metrics, settings, clock);
    }

    @Bean
    Outbox outbox(DeliveryStore store, JsonMapper json, RetryPolicy retries, DeliveryWorker worker, Clock clock) {
        return new Outbox(store, json, retries, new JobIds(clock), worker::wake, clock);
    }

    @Bean
    JobEvents jobEvents(Outbox outbox, org.springframework.beans.factory.ObjectProvider<io.jobpool.job.JobStore> store, Clock clock) {
        // Lazily: the store runs this hook, so it cannot be a constructor dependency of it.
        return new JobEvents(outbox, id -> store.getObject().find(id), id -> store.getObject().attemptErrors(id), clock);
    }

    @Bean
    BatchEvents batchEvents(Outbox outbox, Clock clock) {
        return new BatchEvents(outbox, clock);
    }

    @Bean
    WebhookDeliveries webhookDeliveries(DeliveryStore store, DeliveryWorker worker, Clock clock) {
        return new WebhookDeliveries(store, worker::wake, clock);
    }
}
