package io.jobpool.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded store's write-ahead log is copied into the database file off the commit path, and
 * still starts over, so it stays bounded under steady writes.
 */
class WalCheckpointerTest {

    private static final int PAGE = 4096;

    @TempDir
    Path directory;

    private Path store;
    private CachedStatements dataSource;
    private Connection held;

    @BeforeEach
    void table() throws SQLException {
        store = directory.resolve("jobpool.db");
        // Opened as the service opens it (EmbeddedStoreFiles): commits checkpoint only a long log.
        Properties properties = new Properties();
        properties.put("wal_autocheckpoint", Integer.toString(WalCheckpointer.COMMIT_CHECKPOINT_PAGES));
        dataSource = new CachedStatements("jdbc:sqlite:" + store + "?journal_mode=WAL&synchronous=NORMAL", properties);
        try (Connection connection = dataSource.getConnection(); var statement = connection.createStatement()) {
            statement.execute("CREATE TABLE pages (id INTEGER PRIMARY KEY, body BLOB)");
        }
        // As the service's connection pool does: the last connection to close would checkpoint
        // the whole log and delete it, which is not what a running service sees.
        held = dataSource.getConnection();
    }

    @AfterEach
    void release() throws SQLException {
        held.close();
    }

    /** Commits one page-sized row each, so every commit adds at least one page to the log. */
    private void commitRows(int from, int count) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO pages (id, body) VALUES (?, ?)")) {
            for (int id = from; id < from + count; id++) {
                insert.setInt(1, id);
                insert.setBytes(2, new byte[PAGE - 200]);
                insert.executeUpdate();
            }
        }
    }

    private long rows() throws SQLException {
        try (Connection connection = dataSource.getConnection(); var statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT count(*) FROM pages")) {
            result.next();
            return result.getLong(1);
        }
    }

    @Test
    void commitsLeaveTheLogToTheCheckpointerWhichCopiesAllOfIt() throws Exception {
        // Each row takes a page and more, so the log passes SQLite's default threshold of 1,000
        // pages and stays under the store's own.
        commitRows(0, 1000);
        WalCheckpointer checkpointer = new WalCheckpointer(dataSource, Duration.ofMillis(10), Duration.ofMillis(100));

        WalCheckpointer.Progress progress = checkpointer.checkpoint();

        // No commit checkpointed: had one, the log would have started over below 1,000 pages.
        assertThat(progress.logFrames()).isGreaterThan(1000).isLessThan(WalCheckpointer.COMMIT_CHECKPOINT_PAGES);
        // With no reader in the way, a PASSIVE checkpoint copies every page of it.
        assertThat(progress.checkpointedFrames()).isEqualTo(progress.logFrames());
        assertThat(Files.size(store)).isGreaterThan(1000L * PAGE);
        assertThat(rows()).isEqualTo(1000);
    }

    @Test
    void underSteadyWritesTheLogStartsOverInsteadOfGrowing() throws Exception {
        try (WalCheckpointer checkpointer = new WalCheckpointer(dataSource, Duration.ofMillis(5), Duration.ofMillis(50))) {
            checkpointer.start();
            int perRound = 1000;
            int rounds = 3 * WalCheckpointer.COMMIT_CHECKPOINT_PAGES / perRound; // pages, and more

            for (int round = 0; round < rounds; round++) {
                commitRows(round * perRound, perRound);
            }
            // Written past three thresholds' worth of pages: the log started over at each of them.
            long logBytes = Files.size(store.resolveSibling("jobpool.db-wal"));
            assertThat(logBytes).isLessThan(2L * WalCheckpointer.COMMIT_CHECKPOINT_PAGES * PAGE);
            assertThat(rows()).isEqualTo((long) rounds * perRound);
        }
    }

    @Test
    void itsThreadCopiesWhatCommitsLeftInTheLog() throws Exception {
        commitRows(0, 1000);
        // The pages are in the log only: the database file has not grown with them.
        assertThat(Files.size(store)).isLessThan(1000L * PAGE);
        try (WalCheckpointer checkpointer = new WalCheckpointer(dataSource, Duration.ofMillis(5), Duration.ofMillis(50))) {
            checkpointer.start();
            Await.until("the checkpointer's thread has copied the log into the database file", Duration.ofSeconds(10),
                    () -> sizeOf(store) > 1000L * PAGE);
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aStoreNotInWalModeHasNoLogToCopy() throws SQLException {
        CachedStatements rollbackJournal = new CachedStatements("jdbc:sqlite:" + directory.resolve("plain.db"), new Properties());
        WalCheckpointer checkpointer = new WalCheckpointer(rollbackJournal, Duration.ofMillis(10), Duration.ofMillis(100));

        assertThat(checkpointer.checkpoint()).isEqualTo(new WalCheckpointer.Progress(-1, -1));
    }
}
