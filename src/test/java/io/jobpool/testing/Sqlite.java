package io.jobpool.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.springframework.beans.factory.config.YamlPropertiesFactoryBean;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.sqlite.JDBC;

/**
 * The embedded store for tests: a SQLite file opened with exactly the settings of the service's
 * default URL in {@code application.yaml} (WAL, write lock at BEGIN, busy timeout, foreign keys),
 * so a store test exercises what a user runs.
 */
public final class Sqlite {

    private static final String DATA_DIR = "${jobpool.data-dir:./data}";

    private Sqlite() {}

    /** A data source on a new database file {@code name}.db in a fresh temporary directory. */
    public static DataSource dataSource(String name) {
        try {
            Path directory = Files.createTempDirectory("jobpool-sqlite-");
            // The JVM deletes these in reverse order at exit: the database's files, then the
            // directory (which File.deleteOnExit removes only once it is empty).
            directory.toFile().deleteOnExit();
            for (String suffix : new String[] {".db", ".db-wal", ".db-shm", ".db-journal"}) {
                directory.resolve(name + suffix).toFile().deleteOnExit();
            }
            // Through the driver, as the service's connection pool opens it: the URL's settings apply.
            return new SimpleDriverDataSource(new JDBC(), url(directory).replace("/jobpool.db", "/" + name + ".db"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The service's default store URL with its data directory set to {@code directory}. */
    public static String url(Path directory) {
        YamlPropertiesFactoryBean yaml = new YamlPropertiesFactoryBean();
        yaml.setResources(new ClassPathResource("application.yaml"));
        String url = yaml.getObject().getProperty("spring.datasource.url");
        if (url == null || !url.startsWith("jdbc:sqlite:" + DATA_DIR + "/jobpool.db")) {
            throw new IllegalStateException("application.yaml's store URL is no longer the SQLite file in the data dir: " + url);
        }
        return url.replace(DATA_DIR, directory.toAbsolutePath().toString());
    }
}
