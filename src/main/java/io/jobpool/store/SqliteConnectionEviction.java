package io.jobpool.store;

import com.zaxxer.hikari.SQLExceptionOverride;
import io.jobpool.job.StoreErrors;
import java.sql.SQLException;
import org.sqlite.SQLiteException;

/**
 * Tells Hikari to throw away a SQLite connection that failed for its lock, instead of handing it
 * out again. The driver's {@code setAutoCommit(false)} records the new mode before it runs
 * {@code BEGIN IMMEDIATE}; when that {@code BEGIN} fails with {@code SQLITE_BUSY} (another process
 * held the write lock past {@code busy_timeout}), the connection believes a transaction is open
 * while SQLite has none. Every later transaction on it then ran its statements in autocommit and
 * failed at commit ("cannot commit - no transaction is active"), for as long as the pool kept it:
 * the webhook delivery loop, which borrows it often, stopped sending for good after one lock held
 * twelve seconds. A fresh connection costs a file open and a few pragmas.
 *
 * <p>Set as {@code spring.datasource.hikari.exception-override-class-name}; other drivers'
 * exceptions get Hikari's own judgement.
 */
public final class SqliteConnectionEviction implements SQLExceptionOverride {

    // java.lang's: inside this class the simple name is the interface's enum.
    @java.lang.Override
    public SQLExceptionOverride.Override adjudicate(SQLException e) {
        return mustEvict(e) ? SQLExceptionOverride.Override.MUST_EVICT : SQLExceptionOverride.Override.CONTINUE_EVICT;
    }

    static boolean mustEvict(SQLException e) {
        if (!(e instanceof SQLiteException sqlite)) {
            return false;
        }
        // Or the state that lock failure leaves behind, whatever led to it.
        return StoreErrors.sqliteLockHeld(sqlite) || e.getMessage() != null && e.getMessage().contains("no transaction is active");
    }
}
