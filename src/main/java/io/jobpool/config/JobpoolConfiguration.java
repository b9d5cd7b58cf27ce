package io.jobpool.config;

import io.jobpool.job.Broadcast;
import io.jobpool.job.CallbackTargets;
import io.jobpool.job.LocalNode;
import io.jobpool.job.PoolGate;
import io.jobpool.job.WorkSignal;
import io.jobpool.job.JobIds;
import io.jobpool.job.JobLimits;
import io.jobpool.job.JobService;
import io.jobpool.job.JobStore;
import io.jobpool.job.JobWaiters;
import io.jobpool.job.QueueDepth;
import io.jobpool.metrics.JobMetrics;
import io.jobpool.store.JdbcJobStore;
import io.jobpool.store.LocalBroadcast;
import io.jobpool.store.LostConnectionRollbacks;
import io.jobpool.store.Migrations;
import io.jobpool.store.PlatformThreadTransactions;
import io.jobpool.store.PostgresBroadcast;
import io.jobpool.store.WalCheckpointer;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.DriverManager;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.sql.DataSource;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.flyway.autoconfigure.FlywayConfigurationCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/** Wires the job core: store, broadcast between replicas, and the job service. This replica's own parts are in {@code NodeConfiguration}. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(JobpoolProperties.class)
class JobpoolConfiguration {

    /** Static: a post-processor must exist before the data source it prepares. */
    @Bean
    static EmbeddedStoreFiles embeddedStoreFiles() {
        return new EmbeddedStoreFiles();
    }

    /**
     * The data directory exists whatever the store: the health endpoint's {@code diskSpace}
     * component watches it ({@code management.health.diskspace.path}), and a missing one would
     * read as no free space. On PostgreSQL an unwritable one is only worth a warning.
     */
    @Bean
    org.springframework.beans.factory.InitializingBean dataDirectory(JobpoolProperties properties) {
        return () -> {
            try {
                java.nio.file.Files.createDirectories(properties.dataDir());
            } catch (java.io.IOException | RuntimeException e) {
                LoggerFactory.getLogger(JobpoolConfiguration.class).warn(
                        "Cannot create jobpool.data-dir {} ({}); the health endpoint's diskSpace reads it as full", properties.dataDir(), e.toString());
            }
        };
    }

    /**
     * Says which {@code jobpool.*} keys bind to nothing, each with the key it most resembles, and
     * refuses to start over such a key under {@code jobpool.security} ({@link UnknownSettings}).
     */
    @Bean
    org.springframework.beans.factory.InitializingBean unknownSettings(org.springframework.core.env.Environment environment) {
        return () -> {
            List<UnknownSettings.Unknown> unknown = UnknownSettings.find(environment);
            List<UnknownSettings.Unknown> security = UnknownSettings.security(unknown);
            // The others first, so a refused start names them too rather than only on the next start.
            unknown.stream().filter(u -> !security.contains(u))
                    .forEach(u -> LoggerFactory.getLogger(UnknownSettings.class).warn("{}", u.message()));
            if (!security.isEmpty()) {
                throw new StartRefusedException("Security settings that are not read as written:\n  - "
                        + String.join("\n  - ", security.stream().map(u -> u.message(false)).toList()),
                        "Correct them (keys: jobpool.security.api-keys[i].name, .sha256, .roles, numbered from 0 without gaps;"
                                + " from the environment JOBPOOL_SECURITY_API_KEYS_0_NAME and so on), or remove them to run without API"
                                + " keys. Left as they are, the API would run open or without a key its operator believes configured.",
                        null);
            }
        };
    }

    /** The migrations of the store in use: one set for PostgreSQL and SQLite, H2's own ({@link Migrations}). */
    @Bean
    FlywayConfigurationCustomizer storeMigrations() {
        return configuration -> configuration.locations(Migrations.forDataSource(configuration.getDataSource()));
    }

    /** Boot's transaction manager, without an ERROR for a rollback on a connection already lost. */
    @Bean
    PlatformTransactionManager transactionManager(DataSource dataSource) {
        return new LostConnectionRollbacks(dataSource);
    }

    /**
     * Boot's transaction template, except on SQLite, where no transaction runs on a virtual thread
     * ({@link PlatformThreadTransactions} says why).
     */
    @Bean
    TransactionTemplate transactionTemplate(PlatformTransactionManager transactionManager, NodeIdentity node) {
        return node.store().startsWith("jdbc:sqlite:") ? new PlatformThreadTransactions(transactionManager)
                : new TransactionTemplate(transactionManager);
    }

    /**
     * On SQLite, the write-ahead log is checkpointed off the commit path: every 50 ms while it grows
     * (about as often as SQLite's own 1,000 pages at 2,000 jobs/s), once a second when idle. Other
     * stores have no such log: the checkpointer is never started.
     */
    @Bean
    WalCheckpointer walCheckpointer(NodeIdentity node, DataSource dataSource) {
        WalCheckpointer checkpointer = new WalCheckpointer(dataSource, Duration.ofMillis(50), Duration.ofSeconds(1));
        if (node.store().startsWith("jdbc:sqlite:")) {
            checkpointer.start();
        }
        return checkpointer;
    }

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    NodeIdentity nodeIdentity(JobpoolProperties properties, DataSource dataSource) {
        String id = properties.nodeId();
        if (id == null || id.isBlank()) {
            String host;
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                host = "localhost";
            }
            id = host + "-" + ProcessHandle.current().pid() + "-" + Long.toHexString(System.nanoTime() & 0xffff);
        }
        return NodeIdentity.of(id, dataSource);
    }

    /**
     * In-process on the embedded store (one replica only); {@code LISTEN/NOTIFY} on PostgreSQL,
     * listening on a connection of its own, opened like the pool's.
     */
    @Bean
    Broadcast broadcast(NodeIdentity node, DataSource dataSource, JdbcClient jdbc, JobpoolProperties properties) {
        if (node.embedded()) {
            return new LocalBroadcast();
        }
        if (!(dataSource instanceof HikariDataSource hikari)) {
            throw new IllegalStateException("PostgreSQL needs the default (Hikari) data source to open its listening connection");
        }
        String schema = jdbc.sql("SELECT current_schema()").query(String.class).single();
        PostgresBroadcast broadcast = new PostgresBroadcast(jdbc,
                () -> DriverManager.getConnection(hikari.getJdbcUrl(), hikari.getUsername(), hikari.getPassword()),
                node.id(), schema, properties.jobs().lease());
        broadcast.start();
        return broadcast;
    }

    @Bean
    JobStore jobStore(JdbcClient jdbc, TransactionTemplate transactions, ObjectProvider<JobStore.FinishedHook> finishedHooks,
            Broadcast broadcast, NodeIdentity node, org.springframework.core.env.Environment environment) {
        java.util.Map<String, Integer> maxConcurrency = new java.util.TreeMap<>();
        JobpoolProperties.TaskSettings.bind(environment).forEach((task, settings) -> {
            // bind() refused a cap below 1 with the other task settings.
            if (settings != null && settings.maxConcurrency() != null) {
                maxConcurrency.put(task, settings.maxConcurrency());
            }
        });
        if (!maxConcurrency.isEmpty()) {
            LoggerFactory.getLogger(JobpoolConfiguration.class).info("Per-task concurrency caps across all replicas: {}",
                    maxConcurrency);
        }
        return new JdbcJobStore(jdbc, transactions, finishedHooks.orderedStream().toList(), broadcast, node.embedded(),
                maxConcurrency);
    }

    @Bean
    JobMetrics jobMetrics(MeterRegistry registry) {
        return new JobMetrics(registry);
    }

    @Bean
    JobWaiters jobWaiters() {
        return new JobWaiters();
    }

    @Bean
    QueueDepth queueDepth(JobStore store) {
        return new QueueDepth(store, 250);
    }

    @Bean
    PoolGate poolGate(JobStore store, Broadcast broadcast, JobpoolProperties properties) {
        return new PoolGate(store, broadcast, properties.cluster().pollInterval());
    }

    /**
     * The bounds submissions are checked against. A default timeout above the maximum would make
     * every submission that names no timeout invalid ("must be at most ..."), for a field its
     * client never sent: an operator who lowers {@code max-timeout} alone means the default to
     * follow, so it is lowered to the maximum, and the log says so.
     */
    @Bean
    JobLimits jobLimits(JobpoolProperties properties) {
        JobpoolProperties.Jobs jobs = properties.jobs();
        Duration defaultTimeout = jobs.defaultTimeout();
        if (defaultTimeout.compareTo(jobs.maxTimeout()) > 0) {
            LoggerFactory.getLogger(JobpoolConfiguration.class).warn(
                    "jobpool.jobs.default-timeout ({}) is above jobpool.jobs.max-timeout ({}); jobs that set no timeout get {}",
                    defaultTimeout, jobs.maxTimeout(), jobs.maxTimeout());
            defaultTimeout = jobs.maxTimeout();
        }
        return new JobLimits(defaultTimeout, jobs.maxTimeout(), jobs.maxPayloadBytes().toBytes(),
                jobs.maxRetries(), jobs.maxDelay(), jobs.maxWait(), properties.queue().capacity());
    }

    @Bean
    JobService jobService(JobStore store, LocalNode node, Broadcast broadcast, PoolGate gate, JobWaiters waiters,
            WorkSignal workSignal, QueueDepth queueDepth, JobMetrics metrics, CallbackTargets callbackTargets,
            JobLimits limits, JobpoolProperties properties, Clock clock) {
        metrics.queueDepth(new io.jobpool.job.StoreGauge("the queue's depth", () -> queueDepth.due(clock.instant())));
        return new JobService(store, node, broadcast, gate, limits, new JobIds(clock), waiters, workSignal, queueDepth,
                metrics, callbackTargets, properties.cluster().pollInterval(), clock);
    }
}
