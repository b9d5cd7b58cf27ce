package io.jobpool.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.CannotAcquireLockException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;

/** Which errors of the store are worth trying again (an API answer of 503 store-unavailable, an outcome written again) and which are not. */
class StoreErrorsTest {

    @Test
    void anUnreachableOrBusyStoreIsOneToTryAgainAndABugIsNot() {
        assertThat(StoreErrors.outOfReach(new CannotGetJdbcConnectionException("no connection within 5000 ms"))).isTrue();
        assertThat(StoreErrors.outOfReach(new CannotAcquireLockException("[SQLITE_BUSY] database is locked"))).isTrue();
        assertThat(StoreErrors.outOfReach(new IllegalStateException("wrapped",
                new SQLException("connection reset", "08006")))).isTrue();
        assertThat(StoreErrors.outOfReach(new DataIntegrityViolationException("duplicate key"))).isFalse();
        assertThat(StoreErrors.outOfReach(new IllegalStateException("a bug"))).isFalse();
    }
}
