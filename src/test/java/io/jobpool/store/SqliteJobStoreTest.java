package io.jobpool.store;

import io.jobpool.testing.Sqlite;
import javax.sql.DataSource;

/** Tests for {@link JdbcJobStore} on the embedded SQLite store (the default). */
class SqliteJobStoreTest extends JobStoreContract {

    /** A new file for each test: Flyway's clean leaves a SQLite database as it was. */
    @Override
    DataSource dataSource() {
        return Sqlite.dataSource("contract");
    }

    @Override
    boolean embedded() {
        return true;
    }

    @Override
    String vendor() {
        return "sqlite";
    }
}
