package io.jobpool.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.job.ClaimFilter;
import io.jobpool.job.JobIds;
import io.jobpool.job.NewJob;
import io.jobpool.testing.Postgres;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/** Tests for {@link JdbcJobStore} on a real PostgreSQL server. */
class PostgresJobStoreTest extends JobStoreContract {

    @Override
    DataSource dataSource() {
        return Postgres.dataSource();
    }

    @Override
    boolean embedded() {
        return false;
    }

    @Override
    String vendor() {
        return "postgresql";
    }

    /**
     * The claim's query walks the index of queued jobs in claim order (V8) and stops at its limit:
     * no sort, and none of the entries of running and finished jobs a whole-table index holds.
     * Without statistics of a table that had no queued job, the whole index made each claim of a
     * fresh backlog take milliseconds.
     */
    @Test
    void theClaimWalksTheIndexOfQueuedJobsInOrder() {
        JdbcClient jdbc = JdbcClient.create(dataSource());
        String plan = String.join("\n", jdbc.sql("""
                EXPLAIN SELECT id FROM jobs WHERE status = 'QUEUED' AND scheduled_at <= 1 AND task IN ('echo', 'sleep')
                ORDER BY status, priority DESC, scheduled_at, id LIMIT 2 FOR UPDATE SKIP LOCKED""").query(String.class).list());
        assertThat(plan).contains("Index Scan using jobs_queued").doesNotContain("Sort");
        assertThat(jdbc.sql("SELECT count(*) FROM pg_indexes WHERE tablename = 'jobs' AND indexname = 'jobs_claim'")
                .query(Long.class).single()).isZero();
    }

    /**
     * A claim is not planned again for each call: its prepared statement runs on one generic plan
     * from its first server-side execution on. Left to the session's default, PostgreSQL planned it
     * afresh at every call on a warm server's writer connections (0.32 ms of planning for 0.13 ms
     * of execution). The store runs on one connection here, so that this session's prepared
     * statements can be read back.
     */
    @Test
    void aClaimRunsOnItsGenericPlan() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        JobIds ids = new JobIds(Clock.systemUTC());
        try (Connection connection = dataSource().getConnection()) {
            DataSource session = new SingleConnectionDataSource(connection, true);
            JdbcJobStore store = new JdbcJobStore(JdbcClient.create(session),
                    new TransactionTemplate(new DataSourceTransactionManager(session)), List.of(), new LocalBroadcast(), false);
            for (int i = 0; i < 12; i++) {
                // pgjdbc prepares a statement on the server at its fifth execution on a connection.
                store.insert(new NewJob(ids.next(), "echo", "[]", "{}", 0, Duration.ofSeconds(30), 0, now, now, null, null, null,
                        null, "hash"));
                assertThat(store.claim("node-a", 1, now, now.plusSeconds(30), ClaimFilter.anyTask())).hasSize(1);
            }
            var plans = JdbcClient.create(session).sql(
                    "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE 'WITH due AS%'")
                    .query((rs, row) -> new long[] {rs.getLong(1), rs.getLong(2)}).list();
            assertThat(plans).hasSize(1);
            assertThat(plans.getFirst()[1]).as("custom plans of the claim").isZero();
            assertThat(plans.getFirst()[0]).as("runs on the generic plan").isGreaterThanOrEqualTo(5);
        }
    }
}
