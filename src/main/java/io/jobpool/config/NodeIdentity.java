package io.jobpool.config;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Who this replica is in job leases, and what kind of store it shares (or not).
 *
 * @param embedded the store is an embedded file (SQLite by default, or H2) that only this process
 *     opens, so at start every RUNNING job belongs to a previous run of this node, and only this
 *     process's one store writer claims jobs
 * @param store the store for the startup log: the embedded file's URL, or "external database"
 *     (a server URL may carry credentials, so it is not logged)
 */
public record NodeIdentity(String id, boolean embedded, String store) {

    static NodeIdentity of(String id, DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            String url = connection.getMetaData().getURL();
            boolean embedded = url.startsWith("jdbc:sqlite:") || url.startsWith("jdbc:h2:");
            return new NodeIdentity(id, embedded, embedded ? url : "external database");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot reach the job store: " + e.getMessage(), e);
        }
    }
}
