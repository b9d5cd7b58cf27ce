package io.jobpool.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.job.Broadcast;
import io.jobpool.testing.Await;
import io.jobpool.testing.Postgres;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Tests for {@link PostgresBroadcast} on a real PostgreSQL: replicas hear each other, each
 * handles its own messages once, services in other schemas are not heard, and a listener whose
 * connection is cut reconnects, listens again and asks its listeners to resync. A replica
 * alone sends nothing; replicas find each other by their hellos or by the store's list.
 */
class PostgresBroadcastTest {

    private final DataSource dataSource = Postgres.dataSource();

    private PostgresBroadcast broadcast(String node, String schema, String applicationName) throws Exception {
        String url;
        try (Connection connection = dataSource.getConnection()) {
            url = connection.getMetaData().getURL();
        }
        PGSimpleDataSource own = new PGSimpleDataSource();
        own.setURL(url);
        if (own.getUser() == null) {
            own.setUser("postgres");
            own.setPassword("postgres");
        }
        own.setApplicationName(applicationName);
        PostgresBroadcast broadcast = new PostgresBroadcast(JdbcClient.create(dataSource), own::getConnection, node, schema,
                Duration.ofMinutes(1));
        broadcast.start();
        Await.until(node + " listening", Duration.ofSeconds(10), broadcast::listening);
        return broadcast;
    }

    /** Until each knows another replica listens: the later one's hello, and the answer to it. */
    private static void met(PostgresBroadcast... replicas) {
        for (PostgresBroadcast replica : replicas) {
            Await.until("replicas found each other", Duration.ofSeconds(10), replica::othersListening);
        }
    }

    /**
     * Every payload sent on {@code channel} while {@code action} ran: a plain session listens, then
     * sends a marker after it, which arrives after anything the action sent.
     */
    private List<String> sentOn(String channel, ThrowingRunnable action) throws Exception {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("LISTEN " + channel);
            action.run();
            statement.execute("SELECT pg_notify('" + channel + "', 'marker')");
            List<String> sent = new java.util.ArrayList<>();
            org.postgresql.PGConnection pg = connection.unwrap(org.postgresql.PGConnection.class);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!sent.contains("marker") && System.nanoTime() < deadline) {
                org.postgresql.PGNotification[] notifications = pg.getNotifications(500);
                for (org.postgresql.PGNotification notification : notifications == null ? new org.postgresql.PGNotification[0]
                        : notifications) {
                    sent.add(notification.getParameter());
                }
            }
            statement.execute("UNLISTEN " + channel);
            assertThat(sent).as("the marker came back").contains("marker");
            sent.remove("marker");
            return sent;
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void replicasFindEachOtherByTheirHellosAndAReplicaAloneSendsNothing() throws Exception {
        try (PostgresBroadcast a = broadcast("node-a", "public", "broadcast-a4")) {
            List<String> heardByA = new CopyOnWriteArrayList<>();
            a.subscribe(Broadcast.Topic.JOBS_FINISHED, heardByA::add);
            List<String> sentAlone = sentOn("jobpool_jobs_finished", () -> a.publish(Broadcast.Topic.JOBS_FINISHED, "alone"));
            assertThat(a.othersListening()).as("no other replica said hello").isFalse();
            assertThat(sentAlone).as("nothing sent to the server").isEmpty();
            assertThat(heardByA).as("delivered here all the same").containsExactly("alone");
            try (PostgresBroadcast b = broadcast("node-b", "public", "broadcast-b4")) {
                met(a, b);
                List<String> sentTogether = sentOn("jobpool_jobs_finished",
                        () -> a.publish(Broadcast.Topic.JOBS_FINISHED, "together"));
                assertThat(sentTogether).containsExactly("node-a|together");
            }
        }
    }

    @Test
    void theStoresListOfReplicasKeepsAReplicaSending() throws Exception {
        try (PostgresBroadcast a = broadcast("node-a", "public", "broadcast-a5")) {
            java.time.Instant now = java.time.Instant.now();
            a.replicasSeen(List.of(new io.jobpool.job.ClusterNode("node-a", now, now, 2, 0)), now);
            assertThat(a.othersListening()).as("itself only").isFalse();
            a.replicasSeen(List.of(new io.jobpool.job.ClusterNode("node-b", now, now.minus(Duration.ofMinutes(2)), 2, 0)), now);
            assertThat(a.othersListening()).as("a replica silent for longer than a lease").isFalse();
            a.replicasSeen(List.of(new io.jobpool.job.ClusterNode("node-b", now, now.minusSeconds(5), 2, 0)), now);
            assertThat(a.othersListening()).as("a replica that heartbeat 5 s ago").isTrue();
        }
    }

    /** A replica with a longer lease than this one's (1 min here) heartbeats less often: it is judged by its own. */
    @Test
    void aReplicaIsJudgedByItsOwnLease() throws Exception {
        try (PostgresBroadcast a = broadcast("node-a", "public", "broadcast-a6")) {
            java.time.Instant now = java.time.Instant.now();
            a.replicasSeen(List.of(new io.jobpool.job.ClusterNode("node-b", now, now.minus(Duration.ofMinutes(2)), 2, 0,
                    Duration.ofMinutes(1))), now);
            assertThat(a.othersListening()).as("silent for longer than its own lease").isFalse();
            a.replicasSeen(List.of(new io.jobpool.job.ClusterNode("node-b", now, now.minus(Duration.ofMinutes(2)), 2, 0,
                    Duration.ofMinutes(6))), now);
            assertThat(a.othersListening()).as("its last heartbeat is younger than its own 6 min lease").isTrue();
        }
    }

    @Test
    void replicasHearEachOtherAndThemselvesOnce() throws Exception {
        try (PostgresBroadcast a = broadcast("node-a", "public", "broadcast-a");
                PostgresBroadcast b = broadcast("node-b", "public", "broadcast-b");
                PostgresBroadcast otherService = broadcast("node-x", "another_schema", "broadcast-x")) {
            met(a, b);
            assertThat(otherService.othersListening()).as("alone in its schema").isFalse();
            List<String> heardByA = new CopyOnWriteArrayList<>();
            List<String> heardByB = new CopyOnWriteArrayList<>();
            List<String> heardElsewhere = new CopyOnWriteArrayList<>();
            a.subscribe(Broadcast.Topic.JOBS_FINISHED, heardByA::add);
            b.subscribe(Broadcast.Topic.JOBS_FINISHED, heardByB::add);
            otherService.subscribe(Broadcast.Topic.JOBS_FINISHED, heardElsewhere::add);
            a.publishIds(Broadcast.Topic.JOBS_FINISHED, List.of("j1", "j2"));
            Await.until("node-b heard node-a", Duration.ofSeconds(10), () -> heardByB.contains("j1,j2"));
            b.publish(Broadcast.Topic.JOBS_FINISHED, "marker");
            Await.until("node-a heard node-b", Duration.ofSeconds(10), () -> heardByA.contains("marker"));
            assertThat(heardByA).as("its own message once, delivered locally").containsExactly("j1,j2", "marker");
            assertThat(heardElsewhere).as("a service in another schema").isEmpty();
        }
    }

    @Test
    void aMessageThatReachedTheOtherReplicasIsNotLoggedAsAFailure() throws Exception {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(PostgresBroadcast.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged = new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try (PostgresBroadcast a = broadcast("node-a", "public", "broadcast-a3");
                PostgresBroadcast b = broadcast("node-b", "public", "broadcast-b3")) {
            met(a, b);
            List<String> heardByB = new CopyOnWriteArrayList<>();
            b.subscribe(Broadcast.Topic.JOBS_AVAILABLE, heardByB::add);
            a.publish(Broadcast.Topic.JOBS_AVAILABLE, "queued");
            Await.until("node-b heard node-a", Duration.ofSeconds(10), () -> heardByB.contains("queued"));
            assertThat(logged.list).filteredOn(event -> event.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN))
                    .extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage).isEmpty();
        } finally {
            logger.detachAppender(logged);
        }
    }

    /**
     * A listening session that stops answering without closing (its server process stopped, as when
     * a NAT or load balancer drops the connection silently) is noticed by its keepalive, dropped
     * and opened again, instead of leaving the replica on the fallback poll for good.
     */
    @Test
    void aHalfOpenConnectionIsNoticedAndReopened() throws Exception {
        try (PostgresBroadcast a = broadcast("node-a", "public", "broadcast-a6");
                PostgresBroadcast b = broadcast("node-b", "public", "broadcast-b6")) {
            met(a, b);
            AtomicInteger resyncs = new AtomicInteger();
            List<String> heardByB = new CopyOnWriteArrayList<>();
            b.onResync(resyncs::incrementAndGet);
            b.subscribe(Broadcast.Topic.CANCEL, heardByB::add);
            long backend;
            try (Connection admin = dataSource.getConnection(); Statement statement = admin.createStatement();
                    java.sql.ResultSet row = statement.executeQuery(
                            "SELECT pid FROM pg_stat_activity WHERE application_name = 'broadcast-b6'")) {
                assertThat(row.next()).as("node-b's listening session").isTrue();
                backend = row.getLong(1);
            }
            assertThat(ProcessHandle.of(backend)).as("the PostgreSQL server process of node-b's session runs on this machine")
                    .isPresent();
            signal("STOP", backend);
            try {
                Await.until("node-b noticed its session no longer answers", Duration.ofSeconds(30), () -> resyncs.get() > 0);
                Await.until("node-b hears node-a on a new session", Duration.ofSeconds(30), () -> {
                    a.publish(Broadcast.Topic.CANCEL, "after");
                    return heardByB.contains("after");
                });
            } finally {
                signal("CONT", backend);
                try (Connection admin = dataSource.getConnection(); Statement statement = admin.createStatement()) {
                    statement.execute("SELECT pg_terminate_backend(" + backend + ")");
                }
            }
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor()).as("kill -%s %d", signal, pid).isZero();
    }

    @Test
    void aCutConnectionIsReopenedAndListenersResync() throws Exception {
        try (PostgresBroadcast a = broadcast("node-a", "public", "broadcast-a2");
                PostgresBroadcast b = broadcast("node-b", "public", "broadcast-b2")) {
            met(a, b);
            AtomicInteger resyncs = new AtomicInteger();
            List<String> heardByB = new CopyOnWriteArrayList<>();
            b.onResync(resyncs::incrementAndGet);
            b.subscribe(Broadcast.Topic.CANCEL, heardByB::add);
            try (Connection admin = dataSource.getConnection(); Statement statement = admin.createStatement()) {
                statement.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'broadcast-b2'");
            }
            Await.until("node-b told its listeners to resync", Duration.ofSeconds(10), () -> resyncs.get() > 0);
            Await.until("node-b listening again", Duration.ofSeconds(20), b::listening);
            Await.until("node-b hears node-a after reconnecting", Duration.ofSeconds(20), () -> {
                a.publish(Broadcast.Topic.CANCEL, "after");
                return heardByB.contains("after");
            });
        }
    }
}
