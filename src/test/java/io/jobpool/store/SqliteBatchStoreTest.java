package io.jobpool.store;

import io.jobpool.testing.Sqlite;
import javax.sql.DataSource;

/** Tests for {@link JdbcBatchStore}, attempt errors and task caps on the embedded SQLite store. */
class SqliteBatchStoreTest extends BatchStoreContract {

    /** A new file for each test: Flyway's clean leaves a SQLite database as it was. */
    @Override
    DataSource dataSource() {
        return Sqlite.dataSource("batch-contract");
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
