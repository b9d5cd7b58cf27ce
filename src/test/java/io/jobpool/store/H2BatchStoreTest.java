package io.jobpool.store;

import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;

/**
 * Tests for {@link JdbcBatchStore}, attempt errors and task caps on H2, the earlier embedded store,
 * which a data directory from before SQLite may still use.
 */
class H2BatchStoreTest extends BatchStoreContract {

    private static final DataSource DATA_SOURCE = h2();

    private static DataSource h2() {
        JdbcDataSource dataSource = new JdbcDataSource();
        dataSource.setURL("jdbc:h2:mem:batch-contract;DB_CLOSE_DELAY=-1");
        return dataSource;
    }

    @Override
    DataSource dataSource() {
        return DATA_SOURCE;
    }

    @Override
    boolean embedded() {
        return true;
    }

    @Override
    String vendor() {
        return "h2";
    }
}
