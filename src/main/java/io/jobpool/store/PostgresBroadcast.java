package io.jobpool.store;

import io.jobpool.job.Broadcast;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * {@link Broadcast} between replicas through PostgreSQL {@code LISTEN/NOTIFY}.
 *
 * <p>Sending is a {@code pg_notify} on a pooled connection. Receiving needs a session of its own
 * that stays open, so one platform thread (it blocks in socket reads) holds a dedicated
 * connection, outside the pool, and waits on it. When that connection drops, the thread reconnects
 * with back-off, listens again and tells every listener to {@link #resync()}, since messages sent
 * meanwhile are gone. Messages carry the sender's node id so a replica does not handle its own
 * twice (it delivers them to itself at once, without the round trip).
 *
 * <p>A replica alone sends nothing: every message would only come back to itself. On a single
 * replica the {@code pg_notify} after each commit, and hearing it again, cost 9 % of the server's
 * CPU on the sync path. Replicas find each other at once: each says hello on a channel of its own
 * once it listens (again), and each that hears a hello answers it, so of any two replicas the one
 * that listened first hears the other's hello and the other hears the answer. Any message from
 * another replica, and the store's list of replicas at every heartbeat ({@link #replicasSeen}),
 * keep this replica sending for a lease; a message skipped in the moment before two replicas have
 * found each other is one the other side's fallback poll makes up for, as for any lost message.
 */
public final class PostgresBroadcast extends LocalBroadcast implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PostgresBroadcast.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    /** How often an idle listening session is checked with a query, to notice a silent drop. */
    private static final Duration KEEPALIVE = Duration.ofSeconds(5);
    /**
     * How long the listening session may take to answer before it counts as dead: a session that
     * stops answering without closing (its server process stopped, a NAT or load balancer that
     * forgot the connection) sends no FIN, so without a bound the keepalive query waited forever
     * and this node was left on the fallback poll without a word.
     */
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(5);

    /** Opens a new connection outside the pool. */
    @FunctionalInterface
    public interface Connector {
        Connection connect() throws SQLException;
    }

    private final JdbcClient jdbc;
    private final Connector connector;
    private final String node;
    private final String channelPrefix;
    private final Thread listener;
    private volatile boolean running = true;
    private volatile boolean listening;
    private volatile Connection current;
    private final String helloChannel;
    /** How long one sign of another replica keeps this one sending. */
    private final long othersTtlNanos;
    /** Until when ({@link System#nanoTime}) another replica is known to listen. */
    private volatile long othersUntil = System.nanoTime();

    /**
     * @param schema the service's schema: services sharing one server in different schemas do not hear each other
     * @param othersTtl how long a sign of another replica (a message, its heartbeat) keeps this one
     *     sending: this replica's job lease, at least; a replica whose heartbeat records its own lease
 *     counts as alive while its heartbeat is younger than that
     */
    public PostgresBroadcast(JdbcClient jdbc, Connector connector, String node, String schema, Duration othersTtl) {
        this.jdbc = jdbc;
        this.connector = connector;
        this.node = node;
        this.othersTtlNanos = othersTtl.toNanos();
        this.channelPrefix = "jobpool_" + ("public".equals(schema) ? "" : Integer.toHexString(schema.hashCode()) + "_");
        this.helloChannel = channelPrefix + "hello";
        this.listener = Thread.ofPlatform().name("jobpool-pg-listener").daemon().unstarted(this::listen);
    }

    public void start() {
        listener.start();
    }

    /** Whether the listening session is up now (messages from other replicas arrive). */
    public boolean listening() {
        return listening;
    }

    /** Whether another replica is known to listen now: messages are sent to the server only then. */
    public boolean othersListening() {
        return System.nanoTime() - othersUntil < 0;
    }

    private void othersSeen() {
        othersSeenFor(Duration.ofNanos(othersTtlNanos));
    }

    /** Another replica is known to listen for {@code ttl} from now (never shortens what is known already). */
    private synchronized void othersSeenFor(Duration ttl) {
        long until = System.nanoTime() + Math.max(ttl.toNanos(), othersTtlNanos);
        if (until - othersUntil > 0) {
            othersUntil = until;
        }
    }

    /**
     * Another replica alive by its own lease (its last heartbeat younger than the lease it runs, or
     * than {@code othersTtl} if its row does not record one) keeps this one sending until its
     * heartbeat is that old: a replica with a longer lease than this one heartbeats less often.
     */
    @Override
    public void replicasSeen(java.util.Collection<io.jobpool.job.ClusterNode> nodes, java.time.Instant now) {
        Duration unknown = Duration.ofNanos(othersTtlNanos);
        nodes.stream().filter(other -> !other.id().equals(node) && other.aliveAt(now, unknown))
                .map(other -> Duration.between(now, other.heartbeatAt().plus(other.leaseOr(unknown))))
                .max(Duration::compareTo)
                .ifPresent(this::othersSeenFor);
    }

    @Override
    public void publish(Topic topic, String payload) {
        deliver(topic, payload);
        if (!othersListening()) {
            return; // nobody else listens: it would only come back here
        }
        try {
            jdbc.sql("SELECT pg_notify(:channel, :payload)").param("channel", channel(topic))
                    .param("payload", node + "|" + payload).query((org.springframework.jdbc.core.RowCallbackHandler) row -> {
                        // pg_notify returns void: there is nothing to read, only the call to make.
                    });
        } catch (RuntimeException e) {
            log.warn("Could not send {} to other replicas; they see the change at their next poll: {}", topic, e.toString());
        }
    }

    private String channel(Topic topic) {
        return channelPrefix + topic.name().toLowerCase(Locale.ROOT);
    }

    private void listen() {
        Duration backoff = Duration.ofMillis(250);
        boolean first = true;
        while (running) {
            try (Connection connection = connector.connect()) {
                current = connection;
                // The socket's read timeout: LISTEN and the keepalive query fail once it passes.
                // Waiting for notifications sets a timeout of its own, and a quiet wait is no failure.
                connection.setNetworkTimeout(Runnable::run, (int) ANSWER_TIMEOUT.toMillis());
                try (Statement statement = connection.createStatement()) {
                    for (Topic topic : Topic.values()) {
                        statement.execute("LISTEN \"" + channel(topic) + "\"");
                    }
                    statement.execute("LISTEN \"" + helloChannel + "\"");
                }
                sayHello(connection, "hello");
                listening = true;
                backoff = Duration.ofMillis(250);
                if (!first) {
                    log.info("Listening to other replicas again; re-reading the store for what was missed");
                    resync();
                }
                first = false;
                receive(connection);
            } catch (SQLException | RuntimeException e) {
                listening = false;
                if (!running) {
                    break;
                }
                if (unanswered(e)) {
                    log.warn("The connection that listens to other replicas did not answer within {} ms (half-open: its server"
                            + " process is stopped or the network dropped it silently); reconnecting in {} ms, meanwhile waiters"
                            + " fall back to polling", ANSWER_TIMEOUT.toMillis(), backoff.toMillis());
                } else {
                    log.warn("Lost the connection that listens to other replicas ({}); reconnecting in {} ms, "
                            + "meanwhile waiters fall back to polling", e.toString(), backoff.toMillis());
                }
                resync();
                sleep(backoff);
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
        listening = false;
    }

    private static boolean unanswered(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.net.SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    private void receive(Connection connection) throws SQLException {
        PGConnection pg = connection.unwrap(PGConnection.class);
        long lastCheck = System.nanoTime();
        while (running) {
            PGNotification[] notifications = pg.getNotifications((int) KEEPALIVE.toMillis());
            if (notifications != null) {
                for (PGNotification notification : notifications) {
                    handle(connection, notification);
                }
            }
            if (System.nanoTime() - lastCheck > KEEPALIVE.toNanos()) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("SELECT 1");
                }
                lastCheck = System.nanoTime();
            }
        }
    }

    /** On the listening connection, which only this thread uses. */
    private void sayHello(Connection connection, String kind) throws SQLException {
        try (java.sql.PreparedStatement hello = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
            hello.setString(1, helloChannel);
            hello.setString(2, node + "|" + kind);
            hello.execute();
        }
    }

    private void handle(Connection connection, PGNotification notification) throws SQLException {
        String message = notification.getParameter();
        int bar = message.indexOf('|');
        if (bar < 0 || message.substring(0, bar).equals(node)) {
            return; // our own: already delivered locally
        }
        othersSeen();
        String name = notification.getName();
        if (name.equals(helloChannel)) {
            if (message.substring(bar + 1).equals("hello")) {
                sayHello(connection, "answer");
            }
            return;
        }
        for (Topic topic : Topic.values()) {
            if (channel(topic).equals(name)) {
                deliver(topic, message.substring(bar + 1));
                return;
            }
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        Connection connection = current;
        if (connection != null) {
            try {
                // Abort rather than close: close would wait for the thread blocked reading it.
                connection.abort(Runnable::run);
            } catch (SQLException e) {
                log.debug("Closing the listening connection: {}", e.toString());
            }
        }
        try {
            listener.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
