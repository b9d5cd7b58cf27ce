package io.jobpool.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import io.jobpool.store.Migrations;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.sqlite.JDBC;

/**
 * Carries a data directory from the H2 store (jobpool before SQLite became the embedded store) over
 * to SQLite, once, before the service opens its store: the H2 file is brought to the latest schema,
 * every row of every table is copied into a new SQLite file in one transaction, and only then is
 * the SQLite file put in place and the H2 file renamed to {@code jobpool.mv.db.imported}. A failure
 * leaves the H2 file as it was and stops the start with what to do.
 */
final class H2StoreImport {

    private static final Logger log = LoggerFactory.getLogger(H2StoreImport.class);

    /** H2 keeps {@code jdbc:h2:file:<dir>/jobpool} in this file. */
    static final String H2_FILE = "jobpool.mv.db";

    private H2StoreImport() {}

    /**
     * Imports {@code <dir>/jobpool.mv.db} into the SQLite file {@code target} (in the same
     * directory) when the one exists and the other does not yet.
     *
     * @param sqliteUrl the service's store URL, whose settings the new file is written with
     * @return the rows copied per table, empty when there was nothing to import
     */
    static Map<String, Integer> importIfPresent(Path target, String sqliteUrl) {
        target = target.toAbsolutePath();
        Path h2 = target.resolveSibling(H2_FILE);
        if (!Files.exists(h2)) {
            return Map.of();
        }
        if (Files.exists(target)) {
            log.warn("{} is an H2 store from an earlier jobpool; it is not used, the store is {}. Delete it once you no longer need it",
                    h2, target);
            return Map.of();
        }
        Path partial = target.resolveSibling(target.getFileName() + ".importing");
        log.info("Found the H2 store of an earlier jobpool in {}; copying it into the SQLite store {} before starting", h2, target);
        try {
            deleteWithJournal(partial);
            Map<String, Integer> copied = copy(h2, partial, EmbeddedStoreFiles.withFile(sqliteUrl, partial));
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            Path kept = h2.resolveSibling(H2_FILE + ".imported");
            Files.move(h2, kept, StandardCopyOption.REPLACE_EXISTING);
            log.info("Imported the H2 store into {} (rows per table: {}); the H2 file is kept as {}, delete it once you no longer need it",
                    target, copied, kept);
            return copied;
        } catch (IOException | SQLException | RuntimeException e) {
            try {
                deleteWithJournal(partial);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw new StartRefusedException("Could not import the H2 store " + h2 + " into " + target + ": " + e.getMessage(),
                    "The H2 file is unchanged. Stop any other jobpool using it and start again, or keep running on H2"
                    + " with spring.datasource.url=jdbc:h2:file:" + h2.resolveSibling("jobpool") + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE"
                    + " and spring.datasource.username=sa", e);
        }
    }

    private static Map<String, Integer> copy(Path h2File, Path partial, String partialUrl) throws SQLException {
        JdbcDataSource source = new JdbcDataSource();
        // IFEXISTS: never create an empty H2 database by accident; the file was just seen.
        source.setURL("jdbc:h2:file:" + h2File.resolveSibling("jobpool") + ";IFEXISTS=TRUE;WRITE_DELAY=0");
        source.setUser("sa");
        Flyway.configure().dataSource(source).locations(Migrations.forVendor("h2")).load().migrate();
        // Through the driver, as the service's pool opens it, so the URL's settings (WAL) apply.
        DataSource destination = new SimpleDriverDataSource(new JDBC(), partialUrl);
        Flyway.configure().dataSource(destination).locations(Migrations.forVendor("sqlite")).load().migrate();
        Map<String, Integer> copied = new LinkedHashMap<>();
        try (Connection from = source.getConnection(); Connection to = destination.getConnection()) {
            to.setAutoCommit(false);
            for (String table : tables(to)) {
                copied.put(table, copyTable(from, to, table));
            }
            to.commit();
        }
        return copied;
    }

    /** The service's tables in creation order, so a row's foreign key target is copied before it. */
    private static List<String> tables(Connection sqlite) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Statement statement = sqlite.createStatement();
                ResultSet rs = statement.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table'"
                        + " AND name NOT LIKE 'sqlite_%' AND name <> 'flyway_schema_history' ORDER BY rowid")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        return tables;
    }

    private static int copyTable(Connection from, Connection to, String table) throws SQLException {
        List<String> columns = new ArrayList<>();
        try (Statement statement = to.createStatement(); ResultSet rs = statement.executeQuery("PRAGMA table_info(" + table + ")")) {
            while (rs.next()) {
                columns.add(rs.getString("name"));
            }
        }
        String list = String.join(", ", columns);
        String marks = String.join(", ", columns.stream().map(c -> "?").toList());
        int rows = 0;
        // OR REPLACE: the migrations seed a few rows (pool_state) that the old store has too.
        try (Statement read = from.createStatement();
                ResultSet rs = read.executeQuery("SELECT " + list + " FROM " + table);
                PreparedStatement write = to.prepareStatement("INSERT OR REPLACE INTO " + table + " (" + list + ") VALUES (" + marks + ")")) {
            while (rs.next()) {
                for (int i = 1; i <= columns.size(); i++) {
                    write.setObject(i, rs.getObject(i) instanceof java.sql.Clob ? rs.getString(i) : rs.getObject(i));
                }
                write.addBatch();
                if (++rows % 500 == 0) {
                    write.executeBatch();
                }
            }
            write.executeBatch();
        }
        return rows;
    }

    private static void deleteWithJournal(Path file) throws IOException {
        for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
            Files.deleteIfExists(file.resolveSibling(file.getFileName() + suffix));
        }
    }
}
