package io.jobpool.store;

import java.sql.SQLException;
import org.springframework.dao.CannotAcquireLockException;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.support.SQLExceptionTranslator;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * Spring's exception for each SQLite error the store tells apart. SQLite reports no SQL state and
 * only its primary result code as the vendor code, which says "constraint" for a duplicate key and
 * a missing value alike; the extended code on {@link SQLiteException} tells them apart, so an
 * idempotency-key collision becomes a {@link DuplicateKeyException} as it is on H2 and PostgreSQL.
 * Registered for the product name "SQLite" in {@code sql-error-codes.xml}, so every
 * {@code JdbcTemplate} on a SQLite data source uses it.
 */
public final class SqliteExceptionTranslator implements SQLExceptionTranslator {

    @Override
    public DataAccessException translate(String task, String sql, SQLException ex) {
        if (!(ex instanceof SQLiteException sqlite)) {
            return null;
        }
        String message = task + "; SQL [" + sql + "]; " + ex.getMessage();
        SQLiteErrorCode code = sqlite.getResultCode();
        return switch (code) {
            case SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY -> new DuplicateKeyException(message, ex);
            case SQLITE_CONSTRAINT, SQLITE_CONSTRAINT_NOTNULL, SQLITE_CONSTRAINT_FOREIGNKEY, SQLITE_CONSTRAINT_CHECK ->
                    new DataIntegrityViolationException(message, ex);
            case SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_RECOVERY, SQLITE_LOCKED, SQLITE_LOCKED_SHAREDCACHE ->
                    new CannotAcquireLockException(message, ex);
            default -> null;
        };
    }
}
