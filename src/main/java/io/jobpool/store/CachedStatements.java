package io.jobpool.store;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * SQLite connections that keep their prepared statements. sqlite-jdbc compiles a statement's SQL
 * on every {@code prepareStatement}, and neither it nor Hikari keeps them, so each write of the
 * store's group commit parsed and planned its SQL again: 3 % of the server's CPU in a
 * million-item map, more per job for small ones (pgjdbc keeps its own, so PostgreSQL needs none).
 *
 * <p>A statement closed by its user goes back to its connection's cache, its parameters unset,
 * and the next {@code prepareStatement} of the same SQL takes it out again; a statement is handed
 * to one user at a time. The closing of its result set (which JDBC users do before closing the
 * statement) has already reset it, so a cached statement holds no read transaction open. Only
 * {@link Connection#prepareStatement(String)} is cached: it is what {@code JdbcTemplate} uses
 * for every statement without generated keys.
 */
public final class CachedStatements implements DataSource {

    /** Per connection; the store's distinct statements, dynamic {@code UPDATE} variants included, are fewer. */
    static final int PER_CONNECTION = 64;

    /** A parameter this long (characters or bytes) is freed in SQLite when its statement goes back to the cache. */
    static final int LARGE_VALUE = 64 * 1024;

    private final String url;
    private final Properties properties;

    public CachedStatements(String url, Properties properties) {
        this.url = url;
        this.properties = properties;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return caching(DriverManager.getConnection(url, properties));
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return getConnection();
    }

    private static Connection caching(Connection connection) {
        return (Connection) Proxy.newProxyInstance(CachedStatements.class.getClassLoader(), new Class<?>[] {Connection.class},
                new CachingConnection(connection));
    }

    /** One physical connection and its idle statements, least recently used first. */
    private static final class CachingConnection implements InvocationHandler {

        private final Connection connection;
        private final Map<String, PreparedStatement> idle = new LinkedHashMap<>(16, 0.75f, true);

        CachingConnection(Connection connection) {
            this.connection = connection;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            String name = method.getName();
            if (name.equals("prepareStatement") && args.length == 1) {
                return prepare((String) args[0]);
            }
            if (name.equals("close")) {
                closeIdle();
            }
            if (name.equals("unwrap") || name.equals("isWrapperFor")) {
                Class<?> type = (Class<?>) args[0];
                if (type.isInstance(proxy)) {
                    return name.equals("unwrap") ? proxy : true;
                }
            }
            return delegate(connection, method, args);
        }

        private synchronized PreparedStatement prepare(String sql) throws SQLException {
            PreparedStatement statement = idle.remove(sql);
            if (statement != null) {
                ((Statement) Proxy.getInvocationHandler(statement)).inUse = true;
                return statement;
            }
            PreparedStatement prepared = connection.prepareStatement(sql);
            return (PreparedStatement) Proxy.newProxyInstance(CachedStatements.class.getClassLoader(),
                    new Class<?>[] {PreparedStatement.class}, new Statement(this, sql, prepared));
        }

        /** Takes back a statement its user closed, or closes it when another of its SQL is already kept. */
        synchronized void giveBack(String sql, PreparedStatement proxy, PreparedStatement statement) throws SQLException {
            if (connection.isClosed() || idle.containsKey(sql)) {
                statement.close();
                return;
            }
            forgetParameters(statement, ((Statement) Proxy.getInvocationHandler(proxy)).heldLargeValue());
            // What a user may have set for its own execution (a transaction's timeout) does not carry over.
            if (statement.getQueryTimeout() != 0) {
                statement.setQueryTimeout(0);
            }
            if (statement.getMaxRows() != 0) {
                statement.setMaxRows(0);
            }
            idle.put(sql, proxy);
            if (idle.size() > PER_CONNECTION) {
                Iterator<PreparedStatement> eldest = idle.values().iterator();
                PreparedStatement evicted = eldest.next();
                eldest.remove();
                ((Statement) Proxy.getInvocationHandler(evicted)).statement.close();
            }
        }

        /**
         * A kept statement's parameters read as unset (NULL), as a fresh statement's do, without
         * {@code sqlite3_clear_bindings}: that expires a statement whose plan depends on a bound
         * value, and SQLite compiled the claim again at its next step, 100 us of each claim
         * (150 us against 50 us, bench/README.md). sqlite-jdbc binds every parameter from its own
         * array at each execution, so nulling that array is all a fresh statement needs. A
         * statement that held a large value is cleared in SQLite too, so that it does not keep a
         * copy of a job's arguments or result while it waits in the cache.
         */
        private static void forgetParameters(PreparedStatement statement, boolean heldLargeValue) throws SQLException {
            if (heldLargeValue) {
                statement.clearParameters();
                return;
            }
            int parameters = statement.getParameterMetaData().getParameterCount();
            for (int i = 1; i <= parameters; i++) {
                statement.setNull(i, java.sql.Types.NULL);
            }
        }

        private synchronized void closeIdle() {
            for (PreparedStatement statement : idle.values()) {
                try {
                    ((Statement) Proxy.getInvocationHandler(statement)).statement.close();
                } catch (SQLException ignored) {
                    // The connection closes next, which frees what the statement held.
                }
            }
            idle.clear();
        }
    }

    /** A prepared statement whose {@code close} gives it back to its connection. */
    private static final class Statement implements InvocationHandler {

        private final CachingConnection owner;
        private final String sql;
        final PreparedStatement statement;
        /** Handed out and not yet closed: a second close must not give it back again. */
        boolean inUse = true;
        /** Whether a parameter of this use was a string or bytes of {@link #LARGE_VALUE} or more. */
        private boolean largeValue;
        /** Whether its SQL may write (anything but a SELECT), and so wait for SQLite's write lock. */
        private final boolean write;

        Statement(CachingConnection owner, String sql, PreparedStatement statement) {
            this.owner = owner;
            this.sql = sql;
            this.statement = statement;
            this.write = !sql.stripLeading().regionMatches(true, 0, "SELECT", 0, 6);
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            if (method.getName().equals("close")) {
                synchronized (owner) {
                    if (inUse) {
                        inUse = false;
                        owner.giveBack(sql, (PreparedStatement) proxy, statement);
                    }
                }
                return null;
            }
            if (method.getName().equals("isClosed")) {
                synchronized (owner) {
                    return !inUse || statement.isClosed();
                }
            }
            if (args != null && args.length >= 2 && method.getName().startsWith("set") && isLarge(args[1])) {
                largeValue = true;
            }
            if (write && method.getName().startsWith("execute") && Thread.currentThread().isVirtual()) {
                // A write outside a transaction may wait out another's lock in native code, which
                // would pin this virtual thread's carrier (PlatformThreadTransactions says why).
                return PlatformThreadTransactions.onPlatformThread(() -> PlatformThreadTransactions.asWriter(() -> {
                    try {
                        return delegate(statement, method, args);
                    } catch (Exception | Error e) {
                        throw e;
                    } catch (Throwable e) {
                        throw new java.lang.reflect.UndeclaredThrowableException(e);
                    }
                }));
            }
            return delegate(statement, method, args);
        }

        /** Whether this use set a large parameter; asking forgets it, for the next use. */
        boolean heldLargeValue() {
            boolean held = largeValue;
            largeValue = false;
            return held;
        }

        private static boolean isLarge(Object value) {
            return value instanceof CharSequence text && text.length() >= LARGE_VALUE
                    || value instanceof byte[] bytes && bytes.length >= LARGE_VALUE;
        }
    }

    private static Object delegate(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Override
    public PrintWriter getLogWriter() {
        return DriverManager.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        DriverManager.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) {
        DriverManager.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() {
        return DriverManager.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        throw new SQLException("not a wrapper of " + type.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return type.isInstance(this);
    }
}
