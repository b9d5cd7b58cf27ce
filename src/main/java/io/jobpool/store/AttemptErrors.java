package io.jobpool.store;

import io.jobpool.job.AttemptError;
import io.jobpool.job.JobError;
import java.time.Instant;
import java.util.List;
import org.springframework.jdbc.core.simple.JdbcClient;

/** The {@code job_attempt_errors} table: one row per failed attempt, written with the state change that records it. */
final class AttemptErrors {

    /** Longest message kept per attempt; the job's last error keeps the full text and trace. */
    private static final int MAX_MESSAGE_CHARS = 4000;

    private final JdbcClient jdbc;

    AttemptErrors(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Records the error of the job's current attempt; a second error for the same attempt is ignored. */
    void record(String jobId, JobError error) {
        String message = error.message() == null ? null
                : error.message().substring(0, Math.min(MAX_MESSAGE_CHARS, error.message().length()));
        jdbc.sql("""
                INSERT INTO job_attempt_errors (job_id, attempt, error_type, error_message, started_at)
                SELECT id, attempts, :type, :message, started_at FROM jobs j WHERE id = :id AND NOT EXISTS
                    (SELECT 1 FROM job_attempt_errors e WHERE e.job_id = j.id AND e.attempt = j.attempts)""")
                .param("type", JdbcJobStore.storable(error.type())).param("message", JdbcJobStore.storable(message))
                .param("id", jobId).update();
    }

    List<AttemptError> of(String jobId) {
        return jdbc.sql("SELECT attempt, error_type, error_message, started_at FROM job_attempt_errors WHERE job_id = :id"
                        + " ORDER BY attempt")
                .param("id", jobId)
                .query((rs, n) -> new AttemptError(rs.getInt("attempt"), rs.getString("error_type"),
                        rs.getString("error_message"), startedAt(rs.getLong("started_at"), rs.wasNull())))
                .list();
    }

    private static Instant startedAt(long millis, boolean isNull) {
        return isNull ? null : Instant.ofEpochMilli(millis);
    }

    void delete(String jobId) {
        jdbc.sql("DELETE FROM job_attempt_errors WHERE job_id = :id").param("id", jobId).update();
    }
}
