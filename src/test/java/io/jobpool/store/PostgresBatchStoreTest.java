package io.jobpool.store;

import io.jobpool.testing.Postgres;
import javax.sql.DataSource;

/** Tests for {@link JdbcBatchStore}, attempt errors and task caps on a real PostgreSQL server. */
class PostgresBatchStoreTest extends BatchStoreContract {

    @Override
    DataSource dataSource() {
        return Postgres.dataSource();
    }

    @Override
    boolean embedded() {
        return false;
    }

    @Override
    String vendor() {
        return "postgresql";
    }
}
