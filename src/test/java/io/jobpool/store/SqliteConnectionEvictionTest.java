package io.jobpool.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.TransactionException;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A transaction that could not begin because another process held SQLite's write lock past the
 * busy timeout leaves the pool's connections usable once the lock is gone (QA found the webhook
 * delivery loop failing at every commit afterwards, for good).
 */
class SqliteConnectionEvictionTest {

    @TempDir
    Path dir;

    @Test
    void aTransactionThatMetTheLockDoesNotBreakTheNextOnes() throws Exception {
        String url = "jdbc:sqlite:" + dir.resolve("store.db") + "?journal_mode=WAL&transaction_mode=IMMEDIATE&busy_timeout=200";
        try (HikariDataSource dataSource = new HikariDataSource()) {
            dataSource.setJdbcUrl(url);
            // One connection: the one that met the lock is the one the next transaction would get.
            dataSource.setMaximumPoolSize(1);
            dataSource.setExceptionOverrideClassName(SqliteConnectionEviction.class.getName());
            JdbcClient jdbc = JdbcClient.create(dataSource);
            jdbc.sql("CREATE TABLE t (v INTEGER)").update();
            TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(dataSource));

            try (Connection other = DriverManager.getConnection(url); Statement lock = other.createStatement()) {
                lock.execute("BEGIN EXCLUSIVE");
                assertThatThrownBy(() -> tx.executeWithoutResult(s -> jdbc.sql("INSERT INTO t VALUES (1)").update()))
                        .isInstanceOf(TransactionException.class).hasStackTraceContaining("SQLITE_BUSY");
                lock.execute("ROLLBACK");
            }

            tx.executeWithoutResult(s -> jdbc.sql("INSERT INTO t VALUES (2)").update());
            tx.executeWithoutResult(s -> jdbc.sql("INSERT INTO t VALUES (3)").update());
            assertThat(jdbc.sql("SELECT v FROM t ORDER BY v").query(Integer.class).list()).containsExactly(2, 3);
        }
    }

    @Test
    void onlySqliteLockErrorsAndTheirAftermathEvict() {
        assertThat(SqliteConnectionEviction.mustEvict(new org.sqlite.SQLiteException("[SQLITE_BUSY] locked",
                org.sqlite.SQLiteErrorCode.SQLITE_BUSY))).isTrue();
        assertThat(SqliteConnectionEviction.mustEvict(new org.sqlite.SQLiteException(
                "[SQLITE_ERROR] SQL error or missing database (cannot commit - no transaction is active)",
                org.sqlite.SQLiteErrorCode.SQLITE_ERROR))).isTrue();
        assertThat(SqliteConnectionEviction.mustEvict(new org.sqlite.SQLiteException("[SQLITE_CONSTRAINT_UNIQUE] dup",
                org.sqlite.SQLiteErrorCode.SQLITE_CONSTRAINT_UNIQUE))).isFalse();
        assertThat(SqliteConnectionEviction.mustEvict(new java.sql.SQLException("busy", "40001", 5))).isFalse();
    }
}
