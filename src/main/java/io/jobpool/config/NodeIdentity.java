package io.jobpool.config;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Who this replica is in job leases.
 *
 * @param embedded the store is an embedded H2 file only this process can open, so at start every
 *     RUNNING job belongs to a previous run of this node
 */
public record NodeIdentity(String id, boolean embedded) {

    static boolean isEmbedded(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            return connection.getMetaData().getURL().startsWith("jdbc:h2:");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot reach the job store: " + e.getMessage(), e);
        }
    }
}
