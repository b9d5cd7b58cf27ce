package io.jobpool.store;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Where the Flyway migrations of each database live. PostgreSQL and SQLite run the same scripts
 * ({@code db/migration/sql}: {@code TEXT} for large values, epoch milliseconds for times), and
 * PostgreSQL also its own ({@code db/migration/postgresql}: what only its planner uses well); H2 has
 * its own ({@code CLOB}), kept byte for byte as H2 stores were migrated with them, since Flyway
 * checks every applied script's checksum. A version number belongs to one script across all the
 * locations of a database: a PostgreSQL-only script takes a number the shared scripts never use.
 */
public final class Migrations {

    private Migrations() {}

    /** The locations for a database named by its JDBC URL. */
    public static String[] forUrl(String url) {
        if (url.startsWith("jdbc:h2:")) {
            return forVendor("h2");
        }
        return forVendor(url.startsWith("jdbc:postgresql:") ? "postgresql" : "sqlite");
    }

    /** The locations for {@code h2}, {@code postgresql} or {@code sqlite}. */
    public static String[] forVendor(String vendor) {
        return switch (vendor) {
            case "h2" -> new String[] {"classpath:db/migration/h2"};
            case "postgresql" -> new String[] {"classpath:db/migration/sql", "classpath:db/migration/postgresql"};
            default -> new String[] {"classpath:db/migration/sql"};
        };
    }

    /** The locations for the database behind {@code dataSource}. */
    public static String[] forDataSource(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            return forUrl(connection.getMetaData().getURL());
        } catch (SQLException e) {
            throw new IllegalStateException("cannot reach the job store: " + e.getMessage(), e);
        }
    }
}
