package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.CannotAcquireLockException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;

/** Which errors of the store are answered 503 store-unavailable (try again) rather than 500. */
class StoreOutOfReachTest {

    @Test
    void anUnreachableOrBusyStoreIsOneToTryAgainAndABugIsNot() {
        assertThat(ProblemHandler.storeOutOfReach(new CannotGetJdbcConnectionException("no connection within 5000 ms"))).isTrue();
        assertThat(ProblemHandler.storeOutOfReach(new CannotAcquireLockException("[SQLITE_BUSY] database is locked"))).isTrue();
        assertThat(ProblemHandler.storeOutOfReach(new IllegalStateException("wrapped",
                new SQLException("connection reset", "08006")))).isTrue();
        assertThat(ProblemHandler.storeOutOfReach(new DataIntegrityViolationException("duplicate key"))).isFalse();
        assertThat(ProblemHandler.storeOutOfReach(new IllegalStateException("a bug"))).isFalse();
    }
}
