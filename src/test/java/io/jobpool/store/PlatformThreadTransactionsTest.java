package io.jobpool.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jobpool.testing.Sqlite;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

/** SQLite transactions begun on virtual threads run on platform threads, with the same outcome. */
class PlatformThreadTransactionsTest {

    private JdbcClient jdbc;
    private PlatformThreadTransactions transactions;

    @BeforeEach
    void store() {
        DataSource dataSource = Sqlite.dataSource("transactions");
        jdbc = JdbcClient.create(dataSource);
        jdbc.sql("CREATE TABLE t (n INTEGER NOT NULL)").update();
        transactions = new PlatformThreadTransactions(new DataSourceTransactionManager(dataSource));
    }

    private static <T> T onVirtualThread(java.util.function.Supplier<T> work) throws InterruptedException {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread.ofVirtual().start(() -> {
            try {
                result.set(work.get());
            } catch (Throwable e) {
                failure.set(e);
            }
        }).join();
        if (failure.get() instanceof RuntimeException e) {
            throw e;
        }
        return result.get();
    }

    @Test
    void aTransactionBegunOnAVirtualThreadRunsOnAPlatformThreadAndCommits() throws InterruptedException {
        Thread ranOn = onVirtualThread(() -> transactions.execute(status -> {
            jdbc.sql("INSERT INTO t (n) VALUES (1)").update();
            jdbc.sql("INSERT INTO t (n) VALUES (2)").update();
            return Thread.currentThread();
        }));

        assertThat(ranOn.isVirtual()).isFalse();
        assertThat(ranOn.getName()).startsWith("jobpool-store-tx-");
        assertThat(jdbc.sql("SELECT SUM(n) FROM t").query(Integer.class).single()).isEqualTo(3);
    }

    @Test
    void aFailureReachesTheVirtualCallerAndRollsTheTransactionBack() {
        IllegalArgumentException thrown = new IllegalArgumentException("bad write");

        assertThatThrownBy(() -> onVirtualThread(() -> transactions.execute(status -> {
            jdbc.sql("INSERT INTO t (n) VALUES (1)").update();
            throw thrown;
        }))).isSameAs(thrown);
        assertThat(jdbc.sql("SELECT COUNT(*) FROM t").query(Integer.class).single()).isZero();
    }

    /**
     * Writes waiting for the lock hold connections: past {@link PlatformThreadTransactions#LOCK_WAITERS}
     * of them a write is refused as the store being busy (503) within a second, rather than taking
     * the last connections reads and the readiness check need.
     */
    @Test
    void pastTheWritersThatMayWaitForTheLockAWriteIsRefusedAsBusy() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(PlatformThreadTransactions.LOCK_WAITERS);
        java.util.List<Thread> holders = new java.util.ArrayList<>();
        for (int i = 0; i < PlatformThreadTransactions.LOCK_WAITERS; i++) {
            holders.add(Thread.ofPlatform().start(() -> {
                try {
                    PlatformThreadTransactions.asWriter(() -> {
                        holding.countDown();
                        return release.await(30, java.util.concurrent.TimeUnit.SECONDS);
                    });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        try {
            assertThat(holding.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(() -> PlatformThreadTransactions.asWriter(() -> "one too many"))
                    .isInstanceOf(org.springframework.dao.TransientDataAccessResourceException.class)
                    .hasMessageContaining("writes already wait for its write lock")
                    .satisfies(e -> assertThat(io.jobpool.job.StoreErrors.outOfReach(e)).as("answered 503").isTrue());
        } finally {
            release.countDown();
            for (Thread holder : holders) {
                holder.join();
            }
        }
        assertThat(PlatformThreadTransactions.asWriter(() -> "a place again")).isEqualTo("a place again");
    }

    @Test
    void onAPlatformThreadTheTransactionRunsInPlace() {
        Thread caller = Thread.currentThread();

        Thread ranOn = transactions.execute(status -> Thread.currentThread());

        assertThat(ranOn).isSameAs(caller);
    }
}
