package io.jobpool.store;

import io.jobpool.testing.Postgres;
import javax.sql.DataSource;

/** Tests for {@link JdbcJobStore} on a real PostgreSQL server. */
class PostgresJobStoreTest extends JobStoreContract {

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
