package io.jobpool.webhook;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The outbox tables on plain SQL that SQLite, H2 and PostgreSQL all run. A claim is a lease: the
 * delivery's {@code attempts} goes up by one and {@code lease_until} marks it as being sent, so no
 * other replica sends the same attempt; if the sender dies the lease runs out and the attempt is
 * made again. Every write after an attempt is a compare-and-set on that claim. On a server database
 * the claim skips rows another replica has locked; an embedded store has one process and one
 * claiming loop, and SQLite has no row locks, so it reads the due rows plainly.
 */
final class DeliveryStore {

    private static final String COLUMNS = """
            id, subject_type, subject_id, event_type, url, payload, webhook_id, status, attempts, next_attempt_at,
            last_status_code, last_error, created_at, updated_at\s""";

    private static final RowMapper<Delivery> DELIVERY = DeliveryStore::mapDelivery;

    /**
     * The attempt of a claim that ran out (or was released at start) without a record: the replica
     * sending it stopped before it could say how it went. It is listed so the history shows every
     * attempt the receiver may have seen; the claim's time is when it started.
     */
    private static final String LOST_ATTEMPT = "INSERT INTO webhook_delivery_attempts"
            + " (delivery_id, attempt, attempted_at, duration_ms, status_code, error)"
            + " SELECT id, attempts, updated_at, 0, NULL, 'no answer recorded: the replica sending this attempt stopped, or could"
            + " not reach the store, before it could record one; sent again with the same webhook-id'"
            + " FROM webhook_deliveries WHERE status = 'PENDING' AND lease_until IS NOT NULL";

    private final JdbcClient jdbc;
    private final TransactionTemplate transactions;
    private final String lockClause;

    DeliveryStore(JdbcClient jdbc, TransactionTemplate transactions, boolean embedded) {
        this.jdbc = jdbc;
        this.transactions = transactions;
        this.lockClause = embedded ? "" : " FOR UPDATE SKIP LOCKED";
    }

    /** A delivery claimed for one attempt: ours until {@code leaseUntil}. */
    record Claim(Delivery delivery, int attempt, Instant leaseUntil) {}

    /** Writes a new PENDING delivery in the caller's transaction (the one finishing its subject). */
    void insert(Delivery d) {
        jdbc.sql("""
                INSERT INTO webhook_deliveries (id, subject_type, subject_id, event_type, url, payload, webhook_id, status,
                    attempts, next_attempt_at, created_at, updated_at)
                VALUES (:id, :subjectType, :subjectId, :eventType, :url, :payload, :webhookId, :status, 0, :next, :now, :now)""")
                .param("id", d.id()).param("subjectType", d.subjectType()).param("subjectId", d.subjectId())
                .param("eventType", d.eventType()).param("url", d.url()).param("payload", d.payload())
                .param("webhookId", d.webhookId()).param("status", d.status().name())
                .param("next", d.nextAttemptAt().toEpochMilli()).param("now", d.createdAt().toEpochMilli())
                .update();
    }

    /** Claims up to {@code limit} due deliveries, oldest due first, skipping rows another replica holds. */
    List<Claim> claim(int limit, Instant now, Instant leaseUntil) {
        return transactions.execute(status -> {
            List<Delivery> due = jdbc.sql("SELECT " + COLUMNS + """
                     FROM webhook_deliveries
                     WHERE status = 'PENDING' AND next_attempt_at <= :now AND (lease_until IS NULL OR lease_until <= :now)
                     ORDER BY next_attempt_at, id LIMIT :limit""" + lockClause)
                    .param("now", now.toEpochMilli()).param("limit", limit).query(DELIVERY).list();
            List<Claim> claimed = new ArrayList<>(due.size());
            for (Delivery delivery : due) {
                jdbc.sql(LOST_ATTEMPT + " AND lease_until <= :now AND id = :id AND attempts = :attempts")
                        .param("now", now.toEpochMilli()).param("id", delivery.id()).param("attempts", delivery.attempts()).update();
                int rows = jdbc.sql("""
                        UPDATE webhook_deliveries SET attempts = attempts + 1, lease_until = :lease, updated_at = :now
                        WHERE id = :id AND status = 'PENDING' AND attempts = :attempts""")
                        .param("lease", leaseUntil.toEpochMilli()).param("now", now.toEpochMilli())
                        .param("id", delivery.id()).param("attempts", delivery.attempts()).update();
                switch (rows) {
                    case 0 -> { } // changed between the select and the update (a retry by hand): not ours now
                    case 1 -> claimed.add(new Claim(delivery, delivery.attempts() + 1, leaseUntil));
                    default -> throw new IllegalStateException(rows + " rows claimed for delivery id " + delivery.id());
                }
            }
            return claimed;
        });
    }

    /**
     * Records an attempt and what the delivery becomes, if the claim still holds. False when the
     * lease ran out and the delivery was claimed again meanwhile: the newer claim records instead.
     */
    boolean record(Claim claim, DeliveryAttempt attempt, RetryPolicy.Verdict verdict, Instant now) {
        return Boolean.TRUE.equals(transactions.execute(status -> {
            int rows = jdbc.sql("""
                    UPDATE webhook_deliveries SET status = :status, next_attempt_at = :next, lease_until = NULL,
                        last_status_code = :code, last_error = :error, updated_at = :now
                    WHERE id = :id AND status = 'PENDING' AND attempts = :attempt AND lease_until = :lease""")
                    .param("status", verdict.status().name())
                    .param("next", verdict.nextAttemptAt() == null ? null : verdict.nextAttemptAt().toEpochMilli(), Types.BIGINT)
                    .param("code", attempt.statusCode(), Types.INTEGER)
                    .param("error", truncate(verdict.reason()), Types.VARCHAR)
                    .param("now", now.toEpochMilli()).param("id", claim.delivery().id())
                    .param("attempt", claim.attempt()).param("lease", claim.leaseUntil().toEpochMilli())
                    .update();
            switch (rows) {
                case 0 -> {
                    return false;
                }
                case 1 -> {
                    jdbc.sql("""
                            INSERT INTO webhook_delivery_attempts (delivery_id, attempt, attempted_at, duration_ms, status_code, error)
                            VALUES (:id, :attempt, :at, :took, :code, :error)""")
                            .param("id", claim.delivery().id()).param("attempt", attempt.attempt())
                            .param("at", attempt.at().toEpochMilli()).param("took", attempt.took().toMillis())
                            .param("code", attempt.statusCode(), Types.INTEGER)
                            .param("error", truncate(attempt.error()), Types.VARCHAR)
                            .update();
                    return true;
                }
                default -> throw new IllegalStateException(rows + " rows recorded for delivery id " + claim.delivery().id());
            }
        }));
    }

    /**
     * The deliveries of one subject, oldest first, each with its attempts (without its payload,
     * which no listing shows). One statement, so one snapshot: an attempt recorded between two reads
     * would list a delivery still PENDING beside the 2xx that delivered it.
     */
    List<DeliveryHistory> forSubject(String subjectType, String subjectId) {
        Map<String, Delivery> deliveries = new LinkedHashMap<>();
        Map<String, List<DeliveryAttempt>> attempts = new LinkedHashMap<>();
        jdbc.sql("SELECT " + COLUMNS.replace("payload,", "NULL AS payload,") + """
                , a.attempt, a.attempted_at, a.duration_ms, a.status_code, a.error
                FROM webhook_deliveries d LEFT JOIN webhook_delivery_attempts a ON a.delivery_id = d.id
                WHERE d.subject_type = :type AND d.subject_id = :subject ORDER BY d.created_at, d.id, a.attempt""")
                .param("type", subjectType).param("subject", subjectId)
                .query((ResultSet rs) -> {
                    String id = rs.getString("id");
                    if (!deliveries.containsKey(id)) {
                        deliveries.put(id, mapDelivery(rs, 0));
                        attempts.put(id, new ArrayList<>());
                    }
                    rs.getInt("attempt");
                    if (!rs.wasNull()) {
                        attempts.get(id).add(mapAttempt(rs));
                    }
                });
        return deliveries.values().stream().map(d -> new DeliveryHistory(d, List.copyOf(attempts.get(d.id())))).toList();
    }

    Optional<DeliveryHistory> find(String subjectType, String subjectId, String deliveryId) {
        return forSubject(subjectType, subjectId).stream().filter(h -> h.delivery().id().equals(deliveryId)).findFirst();
    }

    /**
     * Makes a delivery due now, whatever its status, keeping its webhook-id. False if it does not
     * belong to the subject, or is being sent right now (that attempt is already the retry).
     */
    boolean requeue(String subjectType, String subjectId, String deliveryId, Instant now) {
        int rows = jdbc.sql("""
                UPDATE webhook_deliveries SET status = 'PENDING', next_attempt_at = :now, updated_at = :now
                WHERE id = :id AND subject_type = :type AND subject_id = :subject
                AND (lease_until IS NULL OR lease_until <= :now)""")
                .param("now", now.toEpochMilli()).param("id", deliveryId).param("type", subjectType)
                .param("subject", subjectId).update();
        return rows == 1;
    }

    long countPending() {
        return jdbc.sql("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'PENDING'").query(Long.class).single();
    }

    /** Deletes up to {@code limit} final deliveries last changed before {@code before}; their attempts go with them. */
    int deleteFinishedBefore(Instant before, int limit) {
        return jdbc.sql("""
                DELETE FROM webhook_deliveries WHERE id IN (
                    SELECT id FROM webhook_deliveries WHERE status IN ('DELIVERED', 'FAILED', 'STOPPED') AND updated_at < :before
                    ORDER BY updated_at LIMIT :limit)""")
                .param("before", before.toEpochMilli()).param("limit", limit).update();
    }

    /** Frees every lease: on an embedded store, a lease at start belongs to a previous run of this process. */
    int releaseLeases() {
        jdbc.sql(LOST_ATTEMPT).update();
        return jdbc.sql("UPDATE webhook_deliveries SET lease_until = NULL WHERE status = 'PENDING' AND lease_until IS NOT NULL").update();
    }

    private static String truncate(String text) {
        return text == null || text.length() <= 2000 ? text : text.substring(0, 1997) + "...";
    }

    private static Delivery mapDelivery(ResultSet rs, int row) throws SQLException {
        int code = rs.getInt("last_status_code");
        Integer lastStatusCode = rs.wasNull() ? null : code;
        return new Delivery(rs.getString("id"), rs.getString("subject_type"), rs.getString("subject_id"),
                rs.getString("event_type"), rs.getString("url"), rs.getString("payload"), rs.getString("webhook_id"),
                DeliveryStatus.valueOf(rs.getString("status")), rs.getInt("attempts"), instant(rs, "next_attempt_at"),
                lastStatusCode, rs.getString("last_error"), instant(rs, "created_at"), instant(rs, "updated_at"));
    }

    private static DeliveryAttempt mapAttempt(ResultSet rs) throws SQLException {
        int code = rs.getInt("status_code");
        Integer statusCode = rs.wasNull() ? null : code;
        return new DeliveryAttempt(rs.getInt("attempt"), instant(rs, "attempted_at"), Duration.ofMillis(rs.getLong("duration_ms")),
                statusCode, rs.getString("error"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        long millis = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
    }
}
