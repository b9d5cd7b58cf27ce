package io.jobpool.config;

import io.jobpool.job.BatchService;
import io.jobpool.job.JobIds;
import io.jobpool.job.JobLimits;
import io.jobpool.job.JobService;
import io.jobpool.job.JobWaiters;
import io.jobpool.job.QueueDepth;
import io.jobpool.job.Broadcast;
import io.jobpool.job.WorkSignal;
import io.jobpool.metrics.JobMetrics;
import io.jobpool.store.JdbcBatchStore;
import io.jobpool.job.BatchStore;
import java.time.Clock;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/** Wires batches ({@code map} / {@code starmap}): their store, which counts finished chunks, and their service. */
@Configuration(proxyBeanMethods = false)
class BatchConfiguration {

    @Bean
    JdbcBatchStore batchStore(JdbcClient jdbc, JdbcTemplate template, TransactionTemplate transactions,
            ObjectProvider<BatchStore.FinishedHook> finishedHooks, JobWaiters waiters, Broadcast broadcast, Clock clock) {
        // A finished batch wakes its long-polls on every replica, as a finished job does.
        return new JdbcBatchStore(jdbc, template, transactions, finishedHooks.orderedStream().toList(), id -> {
            waiters.signal(id);
            broadcast.publishIds(Broadcast.Topic.JOBS_FINISHED, java.util.List.of(id));
        }, clock);
    }

    @Bean
    BatchService batchService(JdbcBatchStore store, JobService jobs, JobWaiters waiters, WorkSignal wakeups, Broadcast broadcast,
            QueueDepth queueDepth, JobMetrics metrics, JobLimits jobLimits, JobpoolProperties properties, Clock clock) {
        int maxBatchItems = properties.jobs().maxBatchItems();
        return new BatchService(store, jobs, new JobIds(clock), waiters, () -> {
            // Chunks are queued: this node's dispatcher and every other replica's claim them.
            wakeups.jobsAvailable();
            broadcast.publish(Broadcast.Topic.JOBS_AVAILABLE, "");
        }, queueDepth, metrics, jobLimits, maxBatchItems, clock);
    }

    /** Finished batches and their chunks go after {@code jobpool.results.ttl}, like jobs. */
    @Bean
    BatchExpiry batchExpiry(JdbcBatchStore store, BatchService batches, JobpoolProperties properties, Clock clock) {
        return new BatchExpiry(store, batches, properties.results().ttl(), Duration.ofMinutes(1), clock);
    }
}
