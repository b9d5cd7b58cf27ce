-- The webhook outbox. A delivery row is written in the transaction that finishes its subject (a
-- job today, a batch later), so an event is never lost between the state change and the send.
-- subject_type/subject_id, event_type and payload are generic: any event source reuses the table.
-- Times are epoch milliseconds, as in jobs.
CREATE TABLE webhook_deliveries (
    id               VARCHAR(36)   NOT NULL PRIMARY KEY,
    subject_type     VARCHAR(16)   NOT NULL,
    subject_id       VARCHAR(36)   NOT NULL,
    event_type       VARCHAR(64)   NOT NULL,
    url              VARCHAR(2048) NOT NULL,
    payload          TEXT          NOT NULL,
    webhook_id       VARCHAR(64)   NOT NULL,
    status           VARCHAR(16)   NOT NULL,
    attempts         INTEGER       DEFAULT 0 NOT NULL,
    next_attempt_at  BIGINT,
    lease_until      BIGINT,
    last_status_code INTEGER,
    last_error       VARCHAR(2000),
    created_at       BIGINT        NOT NULL,
    updated_at       BIGINT        NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_webhook_id ON webhook_deliveries (webhook_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_subject ON webhook_deliveries (subject_type, subject_id, created_at);
CREATE INDEX webhook_deliveries_updated ON webhook_deliveries (status, updated_at);

-- One row per attempt that got an answer or an error, for GET /v1/jobs/{id}/deliveries.
CREATE TABLE webhook_delivery_attempts (
    delivery_id  VARCHAR(36)   NOT NULL,
    attempt      INTEGER       NOT NULL,
    attempted_at BIGINT        NOT NULL,
    duration_ms  BIGINT        NOT NULL,
    status_code  INTEGER,
    error        VARCHAR(2000),
    PRIMARY KEY (delivery_id, attempt),
    CONSTRAINT webhook_delivery_attempts_delivery FOREIGN KEY (delivery_id)
        REFERENCES webhook_deliveries (id) ON DELETE CASCADE
);
