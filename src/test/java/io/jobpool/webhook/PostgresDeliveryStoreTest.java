package io.jobpool.webhook;

import io.jobpool.testing.Postgres;
import javax.sql.DataSource;

/** Tests for {@link DeliveryStore} on a real PostgreSQL server. */
class PostgresDeliveryStoreTest extends DeliveryStoreContract {

    @Override
    DataSource dataSource() {
        return Postgres.dataSource();
    }

    @Override
    String vendor() {
        return "postgresql";
    }
}
