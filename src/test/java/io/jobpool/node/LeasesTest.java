package io.jobpool.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.job.Job;
import io.jobpool.job.JobIds;
import io.jobpool.job.JobStatus;
import io.jobpool.job.JobStore;
import io.jobpool.job.JobWaiters;
import io.jobpool.job.NewJob;
import io.jobpool.node.RunningJobs;
import io.jobpool.store.JdbcJobStore;
import io.jobpool.testing.SettableClock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/** Tests for {@link Leases}: heartbeats keep live jobs, lost ones are redelivered, up to a cap. */
class LeasesTest {

    private static final Duration LEASE = Duration.ofSeconds(30);

    private final SettableClock clock = new SettableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final RunningJobs running = new RunningJobs();
    private final io.micrometer.core.instrument.simple.SimpleMeterRegistry registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    private JobStore store;

    @BeforeEach
    void store() {
        JdbcDataSource dataSource = new JdbcDataSource();
        dataSource.setURL("jdbc:h2:mem:leases-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration/h2").load().migrate();
        store = new JdbcJobStore(JdbcClient.create(dataSource), new TransactionTemplate(new DataSourceTransactionManager(dataSource)),
                List.of(), new io.jobpool.store.LocalBroadcast(), true);
    }

    private Leases leases(String node, int maxRedeliveries) {
        return leases(store, running, node, maxRedeliveries);
    }

    private Leases leases(JobStore store, RunningJobs running, String node, int maxRedeliveries) {
        return leases(store, running, node, maxRedeliveries, registry);
    }

    private Leases leases(JobStore store, RunningJobs running, String node, int maxRedeliveries,
            io.micrometer.core.instrument.MeterRegistry registry) {
        return new Leases(store, running, new JobWaiters(), () -> { }, new io.jobpool.metrics.JobMetrics(registry), node, LEASE,
                maxRedeliveries, clock);
    }

    private Job claimedBy(String node) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        store.insert(new NewJob(new JobIds(clock).next(), "echo", "[]", "{}", 0, Duration.ofMinutes(5), 0, now, now, null, null,
                null, null, "h"));
        return store.claim(node, 1, now, now.plus(LEASE)).getFirst();
    }

    @Test
    void heartbeatsKeepTheJobsThisNodeStillRuns() {
        Job job = claimedBy("node-a");
        running.add(job);
        Leases leases = leases("node-a", 3);
        for (int beat = 0; beat < 5; beat++) {
            clock.advance(LEASE.dividedBy(3));
            leases.renew();
            assertThat(leases.reapOrphans()).isZero();
        }
        assertThat(store.find(job.id()).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
    }

    @Test
    void aJobWhoseOutcomeWasNeverWrittenLosesItsLeaseAndIsRedelivered() {
        Job job = claimedBy("node-a");
        Leases leases = leases("node-a", 3);
        clock.advance(LEASE.dividedBy(2));
        leases.renew(); // the job is no longer in RunningJobs: its outcome was being written and failed
        clock.advance(LEASE);
        assertThat(leases.reapOrphans()).isEqualTo(1);
        Job redelivered = store.find(job.id()).orElseThrow();
        assertThat(redelivered.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(redelivered.redeliveries()).isEqualTo(1);
        assertThat(store.attemptErrors(job.id())).singleElement().satisfies(lost -> {
            assertThat(lost.attempt()).isEqualTo(1);
            assertThat(lost.type()).isEqualTo("WorkerLostError");
            assertThat(lost.message()).contains("node node-a", "redelivered (1 of at most 3)");
        });
    }

    @Test
    void aJobLostMoreThanMaxRedeliveriesFailsWithWorkerLostError() {
        Leases leases = leases("node-a", 0);
        Job job = claimedBy("gone-node");
        clock.advance(LEASE.plusSeconds(1));
        assertThat(leases.reapOrphans()).isEqualTo(1);
        Job failed = store.find(job.id()).orElseThrow();
        assertThat(failed.status()).isEqualTo(JobStatus.FAILED);
        assertThat(failed.error().type()).isEqualTo("WorkerLostError");
    }

    /**
     * A job its lost node ran out of redeliveries is a completion like any other: counted once, by
     * the replica whose reaper failed it (the replica that ran it is gone), and a redelivery is none.
     */
    @Test
    void aJobFailedForItsLostNodeIsCountedOnceByTheReplicaThatFailedIt() {
        io.micrometer.core.instrument.simple.SimpleMeterRegistry onB = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        Leases a = leases("node-a", 0);
        Leases b = leases(store, new RunningJobs(), "node-b", 0, onB);
        Job lost = claimedBy("gone-node");
        clock.advance(LEASE.plusSeconds(1));

        assertThat(a.reapOrphans()).isEqualTo(1);
        assertThat(b.reapOrphans()).as("already failed by node-a").isZero();
        assertThat(a.reapOrphans()).isZero();
        assertThat(failedCount(registry)).isEqualTo(1);
        assertThat(failedCount(onB)).isZero();
        assertThat(store.find(lost.id()).orElseThrow().status()).isEqualTo(JobStatus.FAILED);

        Leases c = leases(store, new RunningJobs(), "node-c", 1, onB);
        Job redelivered = claimedBy("gone-node");
        clock.advance(LEASE.plusSeconds(1));
        assertThat(c.reapOrphans()).isEqualTo(1);
        assertThat(store.find(redelivered.id()).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
        assertThat(onB.find("jobpool.jobs.completed").counters()).as("a redelivery completes nothing").isEmpty();
    }

    /** The node restarted under its node id fails what its earlier run left, and counts it. */
    @Test
    void aJobFailedAtRestartForItsLostNodeIsCounted() {
        Job lost = claimedBy("node-a");
        assertThat(leases("node-a", 0).reapAtStart(false)).isEqualTo(1);
        assertThat(store.find(lost.id()).orElseThrow().status()).isEqualTo(JobStatus.FAILED);
        assertThat(failedCount(registry)).isEqualTo(1);
    }

    private static double failedCount(io.micrometer.core.instrument.MeterRegistry registry) {
        io.micrometer.core.instrument.Counter counter = registry.find("jobpool.jobs.completed").tag("task", "echo")
                .tag("outcome", "failed").counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void atStartOnTheEmbeddedStoreEveryRunningJobOfAnotherNodeIsAnOrphan() {
        Job job = claimedBy("previous-run");
        assertThat(leases("this-run", 3).reapAtStart(true)).isEqualTo(1);
        assertThat(store.find(job.id()).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
    }

    @Test
    void aNodeRestartedUnderItsNodeIdTakesBackWhatItsEarlierRunLeftAtOnceAndNoOtherNodesJobs() {
        Job mine = claimedBy("node-a");
        Job theirs = claimedBy("node-b");
        assertThat(leases("node-a", 3).reapAtStart(false)).isEqualTo(1);
        assertThat(store.find(mine.id()).orElseThrow().status()).as("its lease had not run out").isEqualTo(JobStatus.QUEUED);
        assertThat(store.find(theirs.id()).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
    }

    /** The first query after an outage takes time: the contact it starts is not reported as begun in the future. */
    @Test
    void theWaitAfterAnOutageIsLoggedWithTheContactSoFarNeverANegativeOne() {
        java.util.concurrent.atomic.AtomicBoolean down = new java.util.concurrent.atomic.AtomicBoolean(true);
        JobStore slowAfterOutage = (JobStore) java.lang.reflect.Proxy.newProxyInstance(JobStore.class.getClassLoader(),
                new Class<?>[] {JobStore.class}, (proxy, method, args) -> {
                    if (down.get()) {
                        throw new org.springframework.dao.DataAccessResourceFailureException("the database is down");
                    }
                    clock.advance(Duration.ofMillis(23)); // the query's own time
                    try {
                        return method.invoke(store, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        Leases leases = leases(slowAfterOutage, new RunningJobs(), "node-b", 3);
        claimedBy("node-c");
        clock.advance(LEASE.plusSeconds(1));
        assertThat(leases.reapOrphans()).isZero();
        down.set(false);
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Leases.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged = new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try {
            assertThat(leases.reapOrphans()).isZero();
        } finally {
            logger.detachAppender(logged);
        }
        assertThat(logged.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                .filteredOn(message -> message.contains("reached the store again only"))
                .singleElement().satisfies(message -> assertThat(message).contains("only 0 ms ago").doesNotContain("-"));
    }

    /** The test's store, failing every call as a database out of reach does while {@code down} is set. */
    private JobStore downWhile(java.util.concurrent.atomic.AtomicBoolean down) {
        return (JobStore) java.lang.reflect.Proxy.newProxyInstance(JobStore.class.getClassLoader(),
                new Class<?>[] {JobStore.class}, (proxy, method, args) -> {
                    if (down.get()) {
                        throw new org.springframework.dao.DataAccessResourceFailureException("the database is down");
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void afterAnOutageOfTheStoreNoJobOfALiveNodeIsTakenBackOnlyThoseOfADeadOne() {
        java.util.concurrent.atomic.AtomicBoolean down = new java.util.concurrent.atomic.AtomicBoolean();
        JobStore flaky = downWhile(down);
        RunningJobs onA = new RunningJobs();
        Leases a = leases(flaky, onA, "node-a", 3);
        Leases b = leases(flaky, new RunningJobs(), "node-b", 3);
        Job alive = claimedBy("node-a");
        onA.add(alive);
        Job dead = claimedBy("node-c");

        down.set(true);
        for (int beat = 0; beat < 6; beat++) {
            clock.advance(LEASE.dividedBy(3));
            a.renew();
            assertThat(b.reapOrphans()).isZero();
        }
        down.set(false);
        assertThat(b.reapOrphans()).as("b is back in contact only now; every lease ran out during the outage").isZero();
        clock.advance(LEASE.dividedBy(3));
        a.renew();
        assertThat(b.reapOrphans()).isZero();
        clock.advance(LEASE.dividedBy(3));
        a.renew();
        clock.advance(LEASE.dividedBy(3));
        a.renew();
        assertThat(b.reapOrphans()).as("a whole lease of contact: only node-c's job is still expired").isEqualTo(1);
        assertThat(store.find(alive.id()).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
        assertThat(store.find(dead.id()).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
    }

    /**
     * A live replica with a longer lease than this one's renews every third of its own: after an
     * outage longer than its lease, this node waits a whole lease of that replica before it takes
     * the jobs back, not only one of its own.
     */
    @Test
    void afterAnOutageTheJobsOfALiveNodeWithALongerLeaseWaitForThatLease() {
        java.util.concurrent.atomic.AtomicBoolean down = new java.util.concurrent.atomic.AtomicBoolean();
        JobStore flaky = downWhile(down);
        Duration longLease = LEASE.multipliedBy(4);
        Instant start = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        store.heartbeat(new io.jobpool.job.ClusterNode("node-a", start, start, 1, 1, longLease));
        store.heartbeat(new io.jobpool.job.ClusterNode("node-c", start, start, 1, 1, longLease));
        Leases b = leases(flaky, new RunningJobs(), "node-b", 3);
        Job alive = claimedBy("node-a");
        store.renewLeases("node-a", java.util.Set.of(alive.id()), start.plus(longLease));
        Job dead = claimedBy("node-c");
        store.renewLeases("node-c", java.util.Set.of(dead.id()), start.plus(longLease));

        down.set(true);
        clock.advance(longLease.plusSeconds(1));
        assertThat(b.reapOrphans()).isZero();
        down.set(false);
        assertThat(b.reapOrphans()).as("back in contact only now").isZero();
        clock.advance(LEASE.plusSeconds(1));
        assertThat(b.reapOrphans()).as("a whole lease of this node's, but not of theirs: node-a may yet renew").isZero();
        assertThat(store.find(alive.id()).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
        // node-a renews within a third of its lease; node-c, dead, does not.
        clock.advance(longLease.dividedBy(3));
        Instant renewedAt = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        store.renewLeases("node-a", java.util.Set.of(alive.id()), renewedAt.plus(longLease));
        store.heartbeat(new io.jobpool.job.ClusterNode("node-a", start, renewedAt, 1, 1, longLease));
        clock.advance(longLease.minus(LEASE).minus(longLease.dividedBy(3)));
        assertThat(b.reapOrphans()).as("a whole lease of theirs: only node-c's job is still expired").isEqualTo(1);
        assertThat(store.find(alive.id()).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
        assertThat(store.find(dead.id()).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
    }
}
