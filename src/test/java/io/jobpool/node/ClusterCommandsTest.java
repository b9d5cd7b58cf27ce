package io.jobpool.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.job.Job;
import io.jobpool.job.JobStatus;
import io.jobpool.job.JobStore;
import io.jobpool.job.LocalNode;
import io.jobpool.store.LocalBroadcast;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** The heartbeat's check of the jobs this node runs against what the store says it holds. */
class ClusterCommandsTest {

    private final List<String> killed = new CopyOnWriteArrayList<>();
    private final RunningJobs running = new RunningJobs();
    private final List<io.jobpool.job.ClusterNode> heartbeats = new CopyOnWriteArrayList<>();
    private volatile int poolSize = 2;

    @Test
    void aJobTakenAwayInTheStoreHasItsWorkerKilledButOneWhoseOutcomeIsBeingWrittenDoesNot() {
        running.add(job("taken-away"));
        running.add(job("returned"));
        // The worker of "returned" has answered; its final state may be committed before it leaves RunningJobs.
        running.finishing("returned");
        ClusterCommands commands = new ClusterCommands(storeHolding(Set.of()), node(), running, new LocalBroadcast(),
                Executors.newVirtualThreadPerTaskExecutor(), java.time.Duration.ofSeconds(30), Clock.systemUTC());

        commands.heartbeat();

        assertThat(killed).containsExactly("taken-away");
    }

    /** The heartbeat that finds a cancelled job gone from the store while its cancel's kill is under way leaves it to that kill. */
    @Test
    void aJobWhoseCancelIsKillingItsWorkerIsNoLostClaim() {
        running.add(job("cancelled"));
        LocalBroadcast broadcast = new LocalBroadcast();
        ClusterCommands commands = new ClusterCommands(storeHolding(Set.of()), node(), running, broadcast,
                Executors.newVirtualThreadPerTaskExecutor(), java.time.Duration.ofSeconds(30), Clock.systemUTC());
        broadcast.publishIds(io.jobpool.job.Broadcast.Topic.CANCEL, List.of("cancelled"));
        assertThat(killed).containsExactly("cancelled");

        commands.heartbeat();

        assertThat(killed).as("killed once, by the cancel").containsExactly("cancelled");
    }

    @Test
    void aJobTheStoreStillGivesThisNodeIsLeftRunning() {
        running.add(job("held"));
        ClusterCommands commands = new ClusterCommands(storeHolding(Set.of("held")), node(), running, new LocalBroadcast(),
                Executors.newVirtualThreadPerTaskExecutor(), java.time.Duration.ofSeconds(30), Clock.systemUTC());

        commands.heartbeat();

        assertThat(killed).isEmpty();
    }

    @Test
    void theHeartbeatCarriesThePoolSizeAfterALiveResize() {
        ClusterCommands commands = new ClusterCommands(storeHolding(Set.of()), node(), running, new LocalBroadcast(),
                Executors.newVirtualThreadPerTaskExecutor(), java.time.Duration.ofSeconds(30), Clock.systemUTC());
        commands.heartbeat();
        poolSize = 5;
        commands.heartbeat();

        assertThat(heartbeats).extracting(io.jobpool.job.ClusterNode::poolSize).containsExactly(2, 5);
        assertThat(heartbeats).extracting(io.jobpool.job.ClusterNode::startedAt).as("one process, one start").containsOnly(heartbeats.getFirst().startedAt());
    }

    /** Replicas may run different leases: each records its own, by which the others judge whether it is alive. */
    @Test
    void theHeartbeatCarriesThisNodesOwnLease() {
        ClusterCommands commands = new ClusterCommands(storeHolding(Set.of()), node(), running, new LocalBroadcast(),
                Executors.newVirtualThreadPerTaskExecutor(), java.time.Duration.ofSeconds(120), Clock.systemUTC());
        commands.heartbeat();

        assertThat(heartbeats).extracting(io.jobpool.job.ClusterNode::lease).containsExactly(java.time.Duration.ofSeconds(120));
    }

    @Test
    void aSecondLiveProcessUnderTheSameNodeIdIsReported() {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ClusterCommands.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged = new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try {
            // A clock finer than the store's milliseconds: this process's own row must still read as its own.
            Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00.000123456Z"), java.time.ZoneOffset.UTC);
            ClusterCommands commands = new ClusterCommands(storeHolding(Set.of()), node(), running, new LocalBroadcast(),
                    Executors.newVirtualThreadPerTaskExecutor(), java.time.Duration.ofSeconds(30), clock);
            // A restart: the row an earlier run of this node id left, its start before this one's.
            heartbeats.add(new io.jobpool.job.ClusterNode("node-a", Instant.EPOCH, Instant.EPOCH, 2, 0));
            commands.heartbeat();
            commands.heartbeat();
            assertThat(logged.list).as("an earlier run's row is no other live process").isEmpty();

            heartbeats.add(new io.jobpool.job.ClusterNode("node-a", clock.instant().plusSeconds(5), clock.instant(), 2, 0));
            commands.heartbeat();
            assertThat(logged.list).singleElement().satisfies(event -> assertThat(event.getFormattedMessage())
                    .contains("Another live process runs as node node-a", "jobpool.node-id"));
        } finally {
            logger.detachAppender(logged);
        }
    }

    /** What a broadcast between replicas learns from at each heartbeat: the store's list of replicas, after this one's own beat. */
    @Test
    void theHeartbeatTellsTheBroadcastWhichReplicasTheStoreLists() {
        List<List<io.jobpool.job.ClusterNode>> seen = new CopyOnWriteArrayList<>();
        LocalBroadcast broadcast = new LocalBroadcast() {
            @Override
            public void replicasSeen(java.util.Collection<io.jobpool.job.ClusterNode> nodes, Instant now) {
                seen.add(List.copyOf(nodes));
            }
        };
        ClusterCommands commands = new ClusterCommands(storeHolding(Set.of()), node(), running, broadcast,
                Executors.newVirtualThreadPerTaskExecutor(), java.time.Duration.ofSeconds(30), Clock.systemUTC());

        commands.heartbeat();

        assertThat(seen).hasSize(1);
        assertThat(seen.getFirst()).extracting(io.jobpool.job.ClusterNode::id).containsExactly("node-a");
    }

    /**
     * The check at each reconnect of the listening session, while the store is out of reach (each
     * failed reconnect asks for one): no exception escapes its thread to stderr, and the outage is
     * logged once, not once per attempt.
     */
    @Test
    void aCheckAfterAReconnectThatFindsTheStoreOutOfReachIsLoggedOncePerOutage() {
        running.add(job("running-here"));
        List<Throwable> escaped = new CopyOnWriteArrayList<>();
        ResyncingBroadcast broadcast = new ResyncingBroadcast();
        java.util.concurrent.ExecutorService executor = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().uncaughtExceptionHandler((thread, e) -> escaped.add(e)).factory());
        new ClusterCommands(storeOutOfReach(), node(), running, broadcast, executor, java.time.Duration.ofSeconds(30), Clock.systemUTC());
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ClusterCommands.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged = new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try {
            for (int reconnect = 0; reconnect < 3; reconnect++) {
                broadcast.reconnected();
            }
            executor.close(); // waits for the three checks
        } finally {
            logger.detachAppender(logged);
        }

        assertThat(escaped).as("exceptions that escaped to the thread's uncaught handler").isEmpty();
        assertThat(logged.list).filteredOn(event -> event.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN))
                .singleElement().satisfies(event -> {
                    assertThat(event.getFormattedMessage()).contains("after a reconnect", "the heartbeat checks again");
                    assertThat(event.getThrowableProxy()).as("no stack trace for an outage").isNull();
                });
        assertThat(killed).as("nothing is killed on what the store could not say").isEmpty();
    }

    /** A stopping node (its executor shut) skips the check at a reconnect without an error per attempt. */
    @Test
    void aReconnectWhileTheNodeStopsIsNoError() {
        ResyncingBroadcast broadcast = new ResyncingBroadcast();
        java.util.concurrent.ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        new ClusterCommands(storeOutOfReach(), node(), running, broadcast, executor, java.time.Duration.ofSeconds(30), Clock.systemUTC());
        executor.shutdown();
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(LocalBroadcast.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged = new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try {
            broadcast.reconnected();
        } finally {
            logger.detachAppender(logged);
        }

        assertThat(logged.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage).isEmpty();
    }

    /** A broadcast whose listening session reconnects when the test says so. */
    private static final class ResyncingBroadcast extends LocalBroadcast {
        void reconnected() {
            resync();
        }
    }

    /** A store that cannot be reached, as during a database outage. */
    private static JobStore storeOutOfReach() {
        return (JobStore) Proxy.newProxyInstance(JobStore.class.getClassLoader(), new Class<?>[] {JobStore.class},
                (proxy, method, args) -> {
                    throw new org.springframework.jdbc.CannotGetJdbcConnectionException("Failed to obtain JDBC Connection",
                            new java.sql.SQLTransientConnectionException("HikariPool-1 - Connection is not available"));
                });
    }

    /** A store that records heartbeats and says this node holds {@code held}; nothing else is called. */
    private JobStore storeHolding(Set<String> held) {
        return (JobStore) Proxy.newProxyInstance(JobStore.class.getClassLoader(), new Class<?>[] {JobStore.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "heartbeat" -> {
                        io.jobpool.job.ClusterNode before = heartbeats.isEmpty() ? null : heartbeats.getLast();
                        io.jobpool.job.ClusterNode beat = (io.jobpool.job.ClusterNode) args[0];
                        // Kept as the store keeps it: in milliseconds.
                        heartbeats.add(new io.jobpool.job.ClusterNode(beat.id(), beat.startedAt().truncatedTo(java.time.temporal.ChronoUnit.MILLIS),
                                beat.heartbeatAt().truncatedTo(java.time.temporal.ChronoUnit.MILLIS), beat.poolSize(), beat.running(),
                                beat.lease()));
                        yield before;
                    }
                    case "held" -> held;
                    case "nodes" -> List.copyOf(heartbeats);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private LocalNode node() {
        return new LocalNode() {
            @Override
            public String id() {
                return "node-a";
            }

            @Override
            public Optional<Set<String>> knownTasks() {
                return Optional.empty();
            }

            @Override
            public CompletableFuture<Optional<String>> liveLogs(String jobId) {
                return CompletableFuture.completedFuture(Optional.empty());
            }

            @Override
            public Optional<Long> workerPid(String jobId) {
                return Optional.empty();
            }

            @Override
            public int poolSize() {
                return poolSize;
            }

            @Override
            public void kill(String jobId) {
                killed.add(jobId);
            }

            @Override
            public Optional<WorkerReservation> reserveIdleWorker(String task) {
                return Optional.empty();
            }
        };
    }

    private static Job job(String id) {
        Instant now = Instant.now();
        return new Job(id, "echo", "[]", "{}", JobStatus.RUNNING, 0, Duration.ofMinutes(5), 0, 1, 0, null, null, now, now, now,
                null, null, null, null, null, "node-a", null, "node-a");
    }
}
