package io.jobpool.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.Postgres;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;

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
}
