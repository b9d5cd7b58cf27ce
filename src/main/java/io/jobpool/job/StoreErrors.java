package io.jobpool.job;

/** What a failed store call says about the store, for whoever must decide to wait or give up. */
public final class StoreErrors {

    private StoreErrors() {}

    /**
     * Whether the error is the database being out of reach or too busy to answer in time (no
     * connection within the pool's timeout, a connection lost, SQLite's lock still held after its
     * busy timeout), as the JDBC driver or Spring's translation of it says: the same call can
     * succeed later. Anything else (a constraint, a bug) fails again however often it is tried.
     */
    public static boolean outOfReach(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof org.springframework.dao.DataAccessResourceFailureException
                    || cause instanceof org.springframework.dao.TransientDataAccessException
                    || cause instanceof java.sql.SQLTransientConnectionException
                    || cause instanceof java.sql.SQLNonTransientConnectionException
                    || cause instanceof java.sql.SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08")
                    || cause instanceof org.sqlite.SQLiteException sqlite && sqliteLockHeld(sqlite)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the error says the store could not be reached at all: no connection, a connection
     * lost, a transaction that could not begin, SQLite's lock held past its busy timeout. Narrower
     * than {@link #outOfReach}: a deadlock or serialization failure is transient too, but a write
     * that lost one may well succeed at once when tried again on its own.
     */
    public static boolean unreachable(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof org.springframework.dao.DataAccessResourceFailureException
                    || cause instanceof org.springframework.transaction.CannotCreateTransactionException
                    || cause instanceof java.sql.SQLTransientConnectionException
                    || cause instanceof java.sql.SQLNonTransientConnectionException
                    || cause instanceof java.sql.SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08")
                    || cause instanceof org.sqlite.SQLiteException sqlite && sqliteLockHeld(sqlite)) {
                return true;
            }
        }
        return false;
    }

    /**
     * SQLite's write lock held by someone else past {@code busy_timeout}. Spring translates it for
     * statements, but not where a transaction begins ({@code CannotCreateTransactionException} has
     * the driver's exception as its cause).
     */
    public static boolean sqliteLockHeld(org.sqlite.SQLiteException e) {
        return switch (e.getResultCode()) {
            case SQLITE_BUSY, SQLITE_BUSY_RECOVERY, SQLITE_BUSY_SNAPSHOT, SQLITE_LOCKED, SQLITE_LOCKED_SHAREDCACHE -> true;
            default -> false;
        };
    }
}
