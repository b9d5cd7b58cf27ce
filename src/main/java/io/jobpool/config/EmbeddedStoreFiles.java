package io.jobpool.config;

import com.zaxxer.hikari.HikariDataSource;
import io.jobpool.store.CachedStatements;
import io.jobpool.store.WalCheckpointer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * Prepares the files of an embedded SQLite store before the first connection opens it:
 * <ul>
 *   <li>creates its directory: SQLite creates the file but not the directories above it, and the
 *       README's first command starts the service in a fresh checkout without {@code ./data};</li>
 *   <li>locks {@code <file>.lock} for as long as the service runs. The embedded store belongs to
 *       one process: at start it takes every RUNNING job for an orphan of its own previous run,
 *       and it claims without row locks. SQLite itself would let a second process open the file,
 *       so this lock refuses it, with what to do instead (PostgreSQL for several replicas);</li>
 *   <li>imports the H2 store an earlier jobpool left in that directory ({@link H2StoreImport});</li>
 *   <li>gives the pool connections that keep their prepared statements ({@link CachedStatements}),
 *       in-memory stores too, and that leave most checkpoints to {@link WalCheckpointer}.</li>
 * </ul>
 */
final class EmbeddedStoreFiles implements BeanPostProcessor, DisposableBean {

    private static final String SQLITE = "jdbc:sqlite:";

    private final List<FileChannel> locks = new ArrayList<>();

    @Override
    public Object postProcessBeforeInitialization(Object bean, String beanName) {
        if (bean instanceof HikariDataSource hikari) {
            sqliteFile(hikari.getJdbcUrl()).ifPresent(file -> {
                createDirectory(file.getParent());
                lock(file);
                H2StoreImport.importIfPresent(file, hikari.getJdbcUrl());
                refuseIfNotSqlite(file);
            });
            if (hikari.getJdbcUrl() != null && hikari.getJdbcUrl().startsWith(SQLITE) && hikari.getDataSource() == null) {
                // The pool's connections keep their prepared statements (the URL and its settings still apply).
                java.util.Properties properties = new java.util.Properties();
                properties.putAll(hikari.getDataSourceProperties());
                // No generated keys: the store names its rows itself. Asked for them, sqlite-jdbc ran a
                // SELECT last_insert_rowid() after every INSERT, 1.3 % of the server's CPU on the sync path.
                properties.putIfAbsent("jdbc.get_generated_keys", "false");
                // Commits checkpoint the write-ahead log only once it is long (WalCheckpointer says why).
                // sqlite-jdbc lets these properties override the URL's, so a URL that sets it keeps it.
                if (!hikari.getJdbcUrl().contains("wal_autocheckpoint=")) {
                    properties.putIfAbsent("wal_autocheckpoint", Integer.toString(WalCheckpointer.COMMIT_CHECKPOINT_PAGES));
                }
                hikari.setDataSource(new CachedStatements(hikari.getJdbcUrl(), properties));
            }
        }
        return bean;
    }

    private synchronized void lock(Path store) {
        Path lockFile = store.resolveSibling(store.getFileName() + ".lock");
        FileChannel channel = null;
        try {
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException sameProcess) {
                lock = null;
            }
            if (lock == null) {
                throw new StartRefusedException("The embedded store " + store + " is in use by another jobpool (it holds "
                        + lockFile + ")", "One store file serves one process: stop the other one, give this one its own"
                        + " jobpool.data-dir, or run several replicas on PostgreSQL (SPRING_DATASOURCE_URL)", null);
            }
            locks.add(channel);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new UncheckedIOException("cannot lock the embedded store with " + lockFile + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static final byte[] SQLITE_HEADER = "SQLite format 3\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /**
     * A store file that is not SQLite's (damaged, or another program's) stopped the start with a
     * long stack trace whose cause read "cannot reach the job store": it is said as what it is.
     */
    private static void refuseIfNotSqlite(Path store) {
        byte[] header = new byte[SQLITE_HEADER.length];
        int read;
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(store)) {
            read = in.readNBytes(header, 0, header.length);
        } catch (java.nio.file.NoSuchFileException absent) {
            return;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the embedded store " + store + ": " + e.getMessage(), e);
        }
        if (read > 0 && !java.util.Arrays.equals(header, SQLITE_HEADER)) {
            throw new StartRefusedException("The embedded store " + store + " is not a SQLite database (its first bytes are"
                    + " not SQLite's header: the file is damaged, or another program's)", "Move it aside to start on a new,"
                    + " empty store, or put back a copy from a backup; the jobs it held are lost otherwise", null);
        }
    }

    /** Releases the store's lock once the context, its data source included, has closed. */
    @Override
    public synchronized void destroy() {
        locks.forEach(EmbeddedStoreFiles::closeQuietly);
        locks.clear();
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Closing releases the lock; a failure to close leaves nothing else to do.
            }
        }
    }

    /** The database file a SQLite URL names, absolute; empty for other databases and in-memory ones. */
    static Optional<Path> sqliteFile(String url) {
        if (url == null || !url.startsWith(SQLITE)) {
            return Optional.empty();
        }
        String file = url.substring(SQLITE.length());
        int query = file.indexOf('?');
        if (query >= 0) {
            file = file.substring(0, query);
        }
        if (file.startsWith("file:")) {
            file = file.substring("file:".length());
        }
        if (file.isEmpty() || file.contains(":memory:")) {
            return Optional.empty();
        }
        return Optional.of(Path.of(file).toAbsolutePath().normalize());
    }

    /** The same SQLite URL, settings and all, on another file. */
    static String withFile(String url, Path file) {
        int query = url.indexOf('?');
        return SQLITE + file.toAbsolutePath() + (query >= 0 ? url.substring(query) : "");
    }

    private static void createDirectory(Path directory) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the store's directory " + directory + ": " + e.getMessage(), e);
        }
    }
}
