package io.jobpool.webhook;

import io.jobpool.testing.Sqlite;
import javax.sql.DataSource;

/** Tests for {@link DeliveryStore} on the embedded SQLite store (the default). */
class SqliteDeliveryStoreTest extends DeliveryStoreContract {

    /** A new file for each test: Flyway's clean leaves a SQLite database as it was. */
    @Override
    DataSource dataSource() {
        return Sqlite.dataSource("deliveries");
    }

    @Override
    String vendor() {
        return "sqlite";
    }
}
