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
 */
public final class PostgresBroadcast extends LocalBroadcast implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PostgresBroadcast.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    /** How often an idle listening session is checked with a query, to notice a silent drop. */
    private static final Duration KEEPALIVE = Duration.ofSeconds(5);

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

    /** @param schema the service's schema: services sharing one server in different schemas do not hear each other */
    public PostgresBroadcast(JdbcClient jdbc, Connector connector, String node, String schema) {
        this.jdbc = jdbc;
        this.connector = connector;
        this.node = node;
        this.channelPrefix = "jobpool_" + ("public".equals(schema) ? "" : Integer.toHexString(schema.hashCode()) + "_");
        this.listener = Thread.ofPlatform().name("jobpool-pg-listener").daemon().unstarted(this::listen);
    }

    public void start() {
        listener.start();
    }

    /** Whether the listening session is up now (messages from other replicas arrive). */
    public boolean listening() {
        return listening;
    }

    @Override
    public void publish(Topic topic, String payload) {
        deliver(topic, payload);
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
                try (Statement statement = connection.createStatement()) {
                    for (Topic topic : Topic.values()) {
                        statement.execute("LISTEN \"" + channel(topic) + "\"");
                    }
                }
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
                log.warn("Lost the connection that listens to other replicas ({}); reconnecting in {} ms, "
                        + "meanwhile waiters fall back to polling", e.toString(), backoff.toMillis());
                resync();
                sleep(backoff);
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
        listening = false;
    }

    private void receive(Connection connection) throws SQLException {
        PGConnection pg = connection.unwrap(PGConnection.class);
        long lastCheck = System.nanoTime();
        while (running) {
            PGNotification[] notifications = pg.getNotifications((int) KEEPALIVE.toMillis());
            if (notifications != null) {
                for (PGNotification notification : notifications) {
                    handle(notification);
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

    private void handle(PGNotification notification) {
        String message = notification.getParameter();
        int bar = message.indexOf('|');
        if (bar < 0 || message.substring(0, bar).equals(node)) {
            return; // our own: already delivered locally
        }
        String name = notification.getName();
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
