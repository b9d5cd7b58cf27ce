package io.jobpool.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jobpool.testing.Sqlite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.sqlite.JDBC;

/** A data directory from the H2 store comes over to SQLite whole, once, or not at all. */
class H2StoreImportTest {

    @TempDir
    Path dir;

    private final String chunkResult = "{\"results\":[" + "1,".repeat(40_000) + "1]}";

    /** An H2 store as jobpool 0.x left it: schema version 5 (before the cluster tables), some rows. */
    private void oldH2Store() {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:file:" + dir.resolve("jobpool") + ";WRITE_DELAY=0");
        h2.setUser("sa");
        Flyway.configure().dataSource(h2).locations("classpath:db/migration/h2").target("5").load().migrate();
        JdbcClient jdbc = JdbcClient.create(h2);
        jdbc.sql("""
                INSERT INTO jobs (id, task, args, kwargs, status, priority, timeout_ms, max_retries, attempts, result,
                    created_at, scheduled_at, started_at, finished_at, progress)
                VALUES ('j1', 'square', '[[3]]', '{}', 'SUCCEEDED', 5, 300000, 2, 1, :result, 1000, 1000, 1001, 1002, 1.0)""")
                .param("result", chunkResult).update();
        jdbc.sql("""
                INSERT INTO jobs (id, task, args, kwargs, status, priority, timeout_ms, max_retries, created_at, scheduled_at)
                VALUES ('j2', 'echo', '[1]', '{}', 'QUEUED', 0, 300000, 0, 2000, 2000)""").update();
        jdbc.sql("""
                INSERT INTO webhook_deliveries (id, subject_type, subject_id, event_type, url, payload, webhook_id, status,
                    attempts, next_attempt_at, created_at, updated_at)
                VALUES ('d1', 'job', 'j1', 'job.succeeded', 'https://hooks.example.com', '{}', 'msg_d1', 'PENDING', 1, 5000, 1002, 1002)""")
                .update();
        jdbc.sql("""
                INSERT INTO webhook_delivery_attempts (delivery_id, attempt, attempted_at, duration_ms, status_code)
                VALUES ('d1', 1, 1003, 12, 503)""").update();
        jdbc.sql("""
                INSERT INTO batches (id, task, starmap, item_count, chunksize, chunk_count, priority, timeout_ms, max_retries, created_at)
                VALUES ('b1', 'square', FALSE, 10, 5, 2, 0, 300000, 0, 900)""").update();
        jdbc.sql("SHUTDOWN").update();
    }

    private JdbcClient sqlite() {
        return JdbcClient.create(new SimpleDriverDataSource(new JDBC(), Sqlite.url(dir)));
    }

    @Test
    void everyRowOfAnOlderH2StoreIsCopiedAndTheH2FileSetAside() {
        oldH2Store();
        Path target = dir.resolve("jobpool.db");

        Map<String, Integer> copied = H2StoreImport.importIfPresent(target, Sqlite.url(dir));

        assertThat(copied).containsEntry("jobs", 2).containsEntry("webhook_deliveries", 1)
                .containsEntry("webhook_delivery_attempts", 1).containsEntry("batches", 1).containsEntry("pool_state", 1);
        JdbcClient sqlite = sqlite();
        assertThat(sqlite.sql("SELECT result FROM jobs WHERE id = 'j1'").query(String.class).single()).isEqualTo(chunkResult);
        assertThat(sqlite.sql("SELECT status || ' ' || priority || ' ' || max_retries || ' ' || started_at || ' ' || progress"
                + " FROM jobs WHERE id = 'j1'").query(String.class).single()).isEqualTo("SUCCEEDED 5 2 1001 1.0");
        assertThat(sqlite.sql("SELECT status FROM jobs WHERE id = 'j2'").query(String.class).single()).isEqualTo("QUEUED");
        assertThat(sqlite.sql("SELECT status_code FROM webhook_delivery_attempts WHERE delivery_id = 'd1'").query(Integer.class).single())
                .isEqualTo(503);
        assertThat(sqlite.sql("SELECT accepting FROM pool_state WHERE id = 1").query(Boolean.class).single()).isTrue();
        assertThat(sqlite.sql("SELECT starmap FROM batches WHERE id = 'b1'").query(Boolean.class).single()).isFalse();
        // The H2 file was brought to the newest schema first (worker_node came with V6), then copied.
        assertThat(sqlite.sql("SELECT COUNT(*) FROM jobs WHERE worker_node IS NULL").query(Integer.class).single()).isEqualTo(2);
        assertThat(dir.resolve("jobpool.mv.db")).doesNotExist();
        assertThat(dir.resolve("jobpool.mv.db.imported")).exists();
        assertThat(dir.resolve("jobpool.db.importing")).doesNotExist();

        assertThat(H2StoreImport.importIfPresent(target, Sqlite.url(dir))).as("a second start imports nothing").isEmpty();
        assertThat(sqlite.sql("SELECT COUNT(*) FROM jobs").query(Integer.class).single()).isEqualTo(2);
    }

    @Test
    void anUnreadableH2FileStopsTheStartAndStaysAsItWas() throws Exception {
        Path h2 = dir.resolve("jobpool.mv.db");
        Files.writeString(h2, "not an H2 file");
        Path target = dir.resolve("jobpool.db");

        assertThatThrownBy(() -> H2StoreImport.importIfPresent(target, Sqlite.url(dir)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Could not import the H2 store " + h2)
                .hasMessageContaining("The H2 file is unchanged")
                .hasMessageContaining("spring.datasource.url=jdbc:h2:file:" + dir.resolve("jobpool"));
        assertThat(Files.readString(h2)).isEqualTo("not an H2 file");
        assertThat(target).doesNotExist();
        assertThat(dir.resolve("jobpool.db.importing")).doesNotExist();
    }

    @Test
    void nothingHappensWithoutAnH2File() {
        assertThat(H2StoreImport.importIfPresent(dir.resolve("jobpool.db"), Sqlite.url(dir))).isEmpty();
        assertThat(dir.resolve("jobpool.db")).doesNotExist();
    }
}
