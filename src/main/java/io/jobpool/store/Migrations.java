package io.jobpool.store;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Where the Flyway migrations of each database live. PostgreSQL and SQLite run the same scripts
 * ({@code db/migration/sql}: {@code TEXT} for large values, epoch milliseconds for times); H2 has
 * its own ({@code CLOB}), kept byte for byte as H2 stores were migrated with them, since Flyway
 * checks every applied script's checksum.
 */
public final class Migrations {

    private Migrations() {}

    /** The location for a database named by its JDBC URL. */
    public static String forUrl(String url) {
        return url.startsWith("jdbc:h2:") ? forVendor("h2") : forVendor("sql");
    }

    /** The location for {@code h2}, or for any other vendor ({@code postgresql}, {@code sqlite}). */
    public static String forVendor(String vendor) {
        return "h2".equals(vendor) ? "classpath:db/migration/h2" : "classpath:db/migration/sql";
    }

    /** The location for the database behind {@code dataSource}. */
    public static String forDataSource(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            return forUrl(connection.getMetaData().getURL());
        } catch (SQLException e) {
            throw new IllegalStateException("cannot reach the job store: " + e.getMessage(), e);
        }
    }
}
