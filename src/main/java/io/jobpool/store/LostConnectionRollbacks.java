package io.jobpool.store;

import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.datasource.JdbcTransactionObjectSupport;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.TransactionException;
import org.springframework.transaction.support.DefaultTransactionStatus;

/**
 * Boot's JDBC transaction manager, except that a rollback which fails because the connection is
 * already gone is not an error of its own. When the database goes away mid-transaction (a
 * PostgreSQL restart or failover, sessions ended by an administrator), the statement fails, and so
 * does the rollback that follows on the same dead connection. Spring then logs "Application
 * exception overridden by rollback exception" at ERROR with two stack traces, once per transaction
 * of the outage, and throws the rollback's failure in place of the statement's. Yet nothing was
 * left to undo: the server ends a session's open transaction with the session, and the pool
 * discards a connection that failed this way (Hikari closes one that failed with SQL state class 08 or 57P). The outage itself is
 * told once, at WARN, where requests are answered 503.
 */
public final class LostConnectionRollbacks extends JdbcTransactionManager {

    private static final Logger log = LoggerFactory.getLogger(LostConnectionRollbacks.class);

    public LostConnectionRollbacks(DataSource dataSource) {
        super(dataSource);
    }

    @Override
    protected void doRollback(DefaultTransactionStatus status) {
        try {
            super.doRollback(status);
        } catch (DataAccessException | TransactionException e) {
            if (!connectionLost(e) && !closed(status)) {
                throw e;
            }
            log.debug("A rollback found its connection gone; the database ended the transaction with the session", e);
        }
    }

    /** Whether the pool has closed the transaction's connection already (it closes one that failed as broken). */
    private static boolean closed(DefaultTransactionStatus status) {
        if (!(status.getTransaction() instanceof JdbcTransactionObjectSupport transaction) || !transaction.hasConnectionHolder()) {
            return false;
        }
        try {
            return transaction.getConnectionHolder().getConnection().isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    /** Whether the failure says the session itself is gone (SQL state class 08, or 57P: the server shutting down). */
    static boolean connectionLost(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
                return true;
            }
        }
        return false;
    }
}
