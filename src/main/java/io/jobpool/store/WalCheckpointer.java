package io.jobpool.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints the embedded store's write-ahead log from a thread of its own, so that commits
 * seldom pay for it.
 *
 * <p>Left to SQLite, the commit that takes the log past 1,000 pages copies them into the database
 * file and syncs it, all inside that commit. The store's group-commit writer then stalls, and every
 * request waiting on a commit with it: with one client doing sync round trips, 2-3 % of them took
 * 3-17 ms instead of about 1 ms. This thread runs {@code PASSIVE} checkpoints instead: they copy
 * what no reader still needs and never wait for, nor block, a reader or the writer.
 *
 * <p>Commits still checkpoint, but only past {@link #COMMIT_CHECKPOINT_PAGES}, and then find most
 * of the log copied already. They must: SQLite starts the log over from its beginning only when a
 * write begins with every page of it copied, and under steady writes a checkpoint on another
 * thread never catches the writer up (left to this thread alone, the log grew past 1 GB in a
 * minute of load). The commit's checkpoint, with no write between it and the next, does.
 *
 * <p>It runs every {@code busyInterval} while the log grows and backs off to {@code idleInterval}
 * while nothing is written, so an idle service does not query its store many times a second.
 */
public final class WalCheckpointer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WalCheckpointer.class);

    /**
     * Pages of log (32 MiB) past which a commit checkpoints ({@code wal_autocheckpoint}), eight
     * times SQLite's default: a commit checkpoints eight times less often, and copies only what
     * was written since this thread's last run.
     */
    public static final int COMMIT_CHECKPOINT_PAGES = 8192;

    private final DataSource dataSource;
    private final Duration busyInterval;
    private final Duration idleInterval;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition stopped = lock.newCondition();
    private final Thread thread;
    private boolean stopping;
    private Progress last = new Progress(-1, -1);
    private boolean failing;

    /** What the log held at the last checkpoint: its frames, and how many of them the database file has. */
    record Progress(int logFrames, int checkpointedFrames) {}

    public WalCheckpointer(DataSource dataSource, Duration busyInterval, Duration idleInterval) {
        this.dataSource = dataSource;
        this.busyInterval = busyInterval;
        this.idleInterval = idleInterval;
        // A platform thread: a checkpoint is file I/O under SQLite's locks (PlatformThreadTransactions).
        this.thread = Thread.ofPlatform().daemon().name("jobpool-wal-checkpointer").unstarted(this::loop);
    }

    public void start() {
        thread.start();
    }

    private void loop() {
        long wait = busyInterval.toNanos();
        while (awaitNext(wait)) {
            boolean grew = checkpointQuietly();
            wait = grew ? busyInterval.toNanos() : Math.min(wait * 2, idleInterval.toNanos());
        }
    }

    /** Waits {@code nanos} unless stopped meanwhile; false once stopped. */
    private boolean awaitNext(long nanos) {
        lock.lock();
        try {
            long left = nanos;
            while (!stopping && left > 0) {
                left = stopped.awaitNanos(left);
            }
            return !stopping;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** One checkpoint; whether the log had grown since the one before. A failure is logged and retried next round. */
    private boolean checkpointQuietly() {
        try {
            Progress now = checkpoint();
            boolean grew = !now.equals(last);
            last = now;
            if (failing) {
                failing = false;
                log.info("Store log checkpoints work again");
            }
            return grew;
        } catch (SQLException | RuntimeException e) {
            if (!failing) {
                failing = true;
                log.warn("Checkpointing the store's write-ahead log failed ({}); commits go on, the log grows until a"
                        + " checkpoint works again, tried every {} ms", e.toString(), idleInterval.toMillis());
            }
            return false;
        }
    }

    /** Copies into the database file what the log holds and no reader still needs. */
    Progress checkpoint() throws SQLException {
        try (Connection connection = dataSource.getConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
            result.next();
            // Columns: busy (0 for PASSIVE), frames in the log, frames of it now in the database file
            // (-1 and -1 when the database is not in WAL mode).
            return new Progress(result.getInt(2), result.getInt(3));
        }
    }

    /** Stops the thread; the last connection to close checkpoints what is left (SQLite does that itself). */
    @Override
    public void close() {
        lock.lock();
        try {
            stopping = true;
            stopped.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
