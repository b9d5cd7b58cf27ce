package io.jobpool.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SQLite connections keep their prepared statements, and a kept statement behaves as a fresh one. */
class CachedStatementsTest {

    @TempDir
    Path directory;

    private CachedStatements dataSource;

    @BeforeEach
    void table() throws SQLException {
        dataSource = new CachedStatements("jdbc:sqlite:" + directory.resolve("test.db") + "?journal_mode=WAL", new Properties());
        try (Connection connection = dataSource.getConnection(); var statement = connection.createStatement()) {
            statement.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)");
        }
    }

    /**
     * A write outside a transaction that waits for SQLite's lock (held here by another connection)
     * waits on a platform thread: the virtual threads that asked for it leave their carriers free,
     * and other virtual threads (requests, probes) still run. In the native call, as before, more
     * writers than carriers stopped every virtual thread until their busy timeouts ran out.
     */
    @Test
    void writesWaitingForTheLockOnVirtualThreadsLeaveTheCarriersFree() throws Exception {
        String url = "jdbc:sqlite:" + directory.resolve("test.db") + "?journal_mode=WAL&busy_timeout=5000";
        CachedStatements waiting = new CachedStatements(url, new Properties());
        // More writers than carriers, as many as may wait for the lock at once.
        int writers = Math.min(Runtime.getRuntime().availableProcessors() + 2, PlatformThreadTransactions.LOCK_WAITERS);
        java.util.List<Thread> threads = new java.util.ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
        try (Connection holder = java.sql.DriverManager.getConnection(url); var lock = holder.createStatement()) {
            lock.execute("BEGIN IMMEDIATE");
            java.util.concurrent.CountDownLatch aboutToWrite = new java.util.concurrent.CountDownLatch(writers);
            for (int i = 0; i < writers; i++) {
                int id = 100 + i;
                threads.add(Thread.ofVirtual().start(() -> {
                    try (Connection connection = waiting.getConnection();
                            PreparedStatement insert = connection.prepareStatement("INSERT INTO items (id, name) VALUES (?, 'w')")) {
                        insert.setInt(1, id);
                        aboutToWrite.countDown();
                        insert.executeUpdate();
                    } catch (SQLException e) {
                        failed.incrementAndGet();
                    }
                }));
            }
            assertThat(aboutToWrite.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            java.util.concurrent.CompletableFuture<Boolean> probe = new java.util.concurrent.CompletableFuture<>();
            Thread.ofVirtual().start(() -> probe.complete(threads.stream().allMatch(Thread::isAlive)));
            assertThat(probe.get(30, java.util.concurrent.TimeUnit.SECONDS))
                    .as("another virtual thread ran while every writer still waited for the lock").isTrue();
            lock.execute("ROLLBACK");
        }
        for (Thread thread : threads) {
            thread.join(java.time.Duration.ofSeconds(30));
        }
        assertThat(failed).as("each write went through once the lock was free").hasValue(0);
        try (Connection connection = waiting.getConnection(); var count = connection.createStatement();
                ResultSet rows = count.executeQuery("SELECT COUNT(*) FROM items WHERE name = 'w'")) {
            rows.next();
            assertThat(rows.getInt(1)).isEqualTo(writers);
        }
    }

    @Test
    void aClosedStatementIsHandedOutAgainWithItsParametersCleared() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            PreparedStatement first = connection.prepareStatement("INSERT INTO items (id, name) VALUES (?, ?)");
            first.setInt(1, 1);
            first.setString(2, "one");
            assertThat(first.executeUpdate()).isEqualTo(1);
            first.close();
            first.close(); // a second close changes nothing

            PreparedStatement again = connection.prepareStatement("INSERT INTO items (id, name) VALUES (?, ?)");
            assertThat(again).isSameAs(first);
            again.setInt(1, 2);
            // The name left unset is NULL, not the previous use's "one".
            assertThat(again.executeUpdate()).isEqualTo(1);
            again.close();
            assertThat(names(connection)).containsExactly("one", null);
        }
    }

    /** Parameters of any size are forgotten: a large one is freed in SQLite, a small one only unset. */
    @Test
    void aKeptStatementForgetsSmallAndLargeParametersAlike() throws SQLException {
        String large = "x".repeat(CachedStatements.LARGE_VALUE);
        try (Connection connection = dataSource.getConnection()) {
            String sql = "INSERT INTO items (id, name) VALUES (?, ?)";
            for (int id = 1; id <= 4; id++) {
                try (PreparedStatement insert = connection.prepareStatement(sql)) {
                    insert.setInt(1, id);
                    if (id % 2 == 1) {
                        insert.setString(2, id == 1 ? large : "small");
                    }
                    assertThat(insert.executeUpdate()).isEqualTo(1);
                }
            }
            assertThat(names(connection)).containsExactly(large, null, "small", null);
        }
    }

    @Test
    void aStatementInUseIsNotHandedOutTwice() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            insert(connection, 1, "a");
            insert(connection, 2, "b");
            String sql = "SELECT name FROM items WHERE id = ?";
            try (PreparedStatement outer = connection.prepareStatement(sql);
                    PreparedStatement inner = connection.prepareStatement(sql)) {
                assertThat(inner).isNotSameAs(outer);
                outer.setInt(1, 1);
                inner.setInt(1, 2);
                try (ResultSet a = outer.executeQuery(); ResultSet b = inner.executeQuery()) {
                    assertThat(a.next() && b.next()).isTrue();
                    assertThat(a.getString(1) + b.getString(1)).isEqualTo("ab");
                }
            }
        }
    }

    @Test
    void aKeptReadStatementHoldsNoSnapshotOpen() throws SQLException {
        try (Connection reader = dataSource.getConnection(); Connection writer = dataSource.getConnection()) {
            insert(writer, 1, "before");
            assertThat(names(reader)).containsExactly("before");
            insert(writer, 2, "after");
            // The reader's kept SELECT sees the writer's later commit: it was reset when its result set closed.
            assertThat(names(reader)).containsExactly("before", "after");
        }
    }

    @Test
    void closingTheConnectionClosesItsKeptStatements() throws SQLException {
        PreparedStatement kept;
        try (Connection connection = dataSource.getConnection()) {
            kept = connection.prepareStatement("SELECT 1");
            kept.close();
            assertThat(kept.isClosed()).isTrue();
        }
        assertThat(kept.unwrap(PreparedStatement.class).isClosed()).isTrue();
    }

    private static void insert(Connection connection, int id, String name) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO items (id, name) VALUES (?, ?)")) {
            insert.setInt(1, id);
            insert.setString(2, name);
            insert.executeUpdate();
        }
    }

    private static java.util.List<String> names(Connection connection) throws SQLException {
        java.util.List<String> names = new java.util.ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT name FROM items ORDER BY id");
                ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                names.add(rows.getString(1));
            }
        }
        return names;
    }
}
