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

    @Test
    void onAPlatformThreadTheTransactionRunsInPlace() {
        Thread caller = Thread.currentThread();

        Thread ranOn = transactions.execute(status -> Thread.currentThread());

        assertThat(ranOn).isSameAs(caller);
    }
}
