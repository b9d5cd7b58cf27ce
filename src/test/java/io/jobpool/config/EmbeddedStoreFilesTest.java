package io.jobpool.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.zaxxer.hikari.HikariDataSource;
import io.jobpool.store.WalCheckpointer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.io.support.SpringFactoriesLoader;

/** The embedded store's directory exists and its file serves one process at a time. */
class EmbeddedStoreFilesTest {

    @TempDir
    Path dir;

    private static HikariDataSource dataSource(String url) {
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(url);
        return dataSource;
    }

    @Test
    void theStoreFileIsReadFromTheUrl() {
        assertThat(EmbeddedStoreFiles.sqliteFile("jdbc:sqlite:./data/jobpool.db?journal_mode=WAL&foreign_keys=true"))
                .contains(Path.of("data/jobpool.db").toAbsolutePath());
        assertThat(EmbeddedStoreFiles.sqliteFile("jdbc:sqlite:file:/var/x.db")).contains(Path.of("/var/x.db"));
        assertThat(EmbeddedStoreFiles.sqliteFile("jdbc:sqlite::memory:")).isEmpty();
        assertThat(EmbeddedStoreFiles.sqliteFile("jdbc:postgresql://db/jobpool")).isEmpty();
        assertThat(EmbeddedStoreFiles.withFile("jdbc:sqlite:./data/jobpool.db?journal_mode=WAL", Path.of("/tmp/a.db")))
                .isEqualTo("jdbc:sqlite:/tmp/a.db?journal_mode=WAL");
    }

    @Test
    void aMissingDirectoryIsCreatedBeforeTheStoreOpens() {
        EmbeddedStoreFiles files = new EmbeddedStoreFiles();
        Path store = dir.resolve("fresh/checkout/data/jobpool.db");
        try (HikariDataSource dataSource = dataSource("jdbc:sqlite:" + store + "?journal_mode=WAL")) {
            files.postProcessBeforeInitialization(dataSource, "dataSource");
            assertThat(store.getParent()).isDirectory();
        } finally {
            files.destroy();
        }
    }

    @Test
    void aStoreFileThatIsNotSqlitesIsRefusedAsSuch() throws Exception {
        Path store = dir.resolve("jobpool.db");
        java.nio.file.Files.writeString(store, "this is not a database, it is a note\n");
        EmbeddedStoreFiles files = new EmbeddedStoreFiles();
        try (HikariDataSource dataSource = dataSource("jdbc:sqlite:" + store + "?journal_mode=WAL")) {
            assertThat(catchThrowable(() -> files.postProcessBeforeInitialization(dataSource, "dataSource")))
                    .isInstanceOf(StartRefusedException.class).hasMessageContaining("is not a SQLite database")
                    .hasMessageContaining("Move it aside");
        } finally {
            files.destroy();
        }
        assertThat(java.nio.file.Files.readString(store)).as("left as it was").startsWith("this is not a database");
    }

    @Test
    void aSecondServiceOnTheSameStoreIsRefusedUntilTheFirstCloses() {
        String url = "jdbc:sqlite:" + dir.resolve("jobpool.db") + "?journal_mode=WAL";
        EmbeddedStoreFiles first = new EmbeddedStoreFiles();
        EmbeddedStoreFiles second = new EmbeddedStoreFiles();
        try (HikariDataSource one = dataSource(url); HikariDataSource two = dataSource(url)) {
            first.postProcessBeforeInitialization(one, "dataSource");

            Throwable refused = catchThrowable(() -> second.postProcessBeforeInitialization(two, "dataSource"));
            assertThat(refused).isInstanceOf(StartRefusedException.class).hasMessageContaining("is in use by another jobpool");
            // At start-up Spring Boot prints this instead of the bean-creation stack trace.
            // (Boot's own analyzers need a bean factory to be made; they are skipped here.)
            FailureAnalysis analysis = SpringFactoriesLoader.forDefaultResourceLocation()
                    .load(FailureAnalyzer.class, null, SpringFactoriesLoader.FailureHandler.handleMessage((message, e) -> { }))
                    .stream()
                    .filter(StartRefusedException.Analyzer.class::isInstance)
                    .map(analyzer -> analyzer.analyze(new BeanCreationException("dataSource", "failed", refused)))
                    .findFirst().orElseThrow();
            assertThat(analysis.getDescription()).contains(dir.resolve("jobpool.db.lock").toString());
            assertThat(analysis.getAction()).contains("PostgreSQL").contains("jobpool.data-dir");

            first.destroy();
            second.postProcessBeforeInitialization(two, "dataSource");
        } finally {
            first.destroy();
            second.destroy();
        }
    }

    @Test
    void commitsCheckpointOnlyALongLogUnlessTheUrlSaysOtherwise() throws Exception {
        EmbeddedStoreFiles files = new EmbeddedStoreFiles();
        try (HikariDataSource service = dataSource("jdbc:sqlite:" + dir.resolve("a.db") + "?journal_mode=WAL");
                HikariDataSource own = dataSource("jdbc:sqlite:" + dir.resolve("b.db") + "?journal_mode=WAL&wal_autocheckpoint=500")) {
            files.postProcessBeforeInitialization(service, "dataSource");
            files.postProcessBeforeInitialization(own, "other");
            assertThat(autocheckpoint(service)).isEqualTo(WalCheckpointer.COMMIT_CHECKPOINT_PAGES);
            assertThat(autocheckpoint(own)).isEqualTo(500);
        } finally {
            files.destroy();
        }
    }

    private static int autocheckpoint(HikariDataSource dataSource) throws java.sql.SQLException {
        try (var connection = dataSource.getConnection(); var statement = connection.createStatement();
                var result = statement.executeQuery("PRAGMA wal_autocheckpoint")) {
            result.next();
            return result.getInt(1);
        }
    }

    @Test
    void otherDatabasesAreLeftAlone() {
        EmbeddedStoreFiles files = new EmbeddedStoreFiles();
        try (HikariDataSource dataSource = dataSource("jdbc:h2:mem:x")) {
            assertThat(files.postProcessBeforeInitialization(dataSource, "dataSource")).isSameAs(dataSource);
        }
        assertThat(dir).isEmptyDirectory();
    }
}
