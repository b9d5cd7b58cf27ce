-- Jobs, one row each. Times are epoch milliseconds so H2 and PostgreSQL compare them alike.
CREATE TABLE jobs (
    id                 VARCHAR(36)   NOT NULL PRIMARY KEY,
    task               VARCHAR(200)  NOT NULL,
    args               TEXT          NOT NULL,
    kwargs             TEXT          NOT NULL,
    status             VARCHAR(16)   NOT NULL,
    priority           INTEGER       NOT NULL,
    timeout_ms         BIGINT        NOT NULL,
    max_retries        INTEGER       NOT NULL,
    attempts           INTEGER       DEFAULT 0 NOT NULL,
    redeliveries       INTEGER       DEFAULT 0 NOT NULL,
    result             TEXT,
    error_type         VARCHAR(500),
    error_message      TEXT,
    error_trace        TEXT,
    logs               TEXT,
    created_at         BIGINT        NOT NULL,
    scheduled_at       BIGINT        NOT NULL,
    started_at         BIGINT,
    finished_at        BIGINT,
    batch_id           VARCHAR(36),
    worker_pid         BIGINT,
    owner_node         VARCHAR(200),
    lease_until        BIGINT,
    callback_url       VARCHAR(2048),
    error_callback_url VARCHAR(2048),
    owner              VARCHAR(200),
    idempotency_key    VARCHAR(500),
    request_hash       VARCHAR(64)
);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (idempotency_key);
CREATE INDEX jobs_claim ON jobs (status, priority DESC, scheduled_at, id);
-- Lists by status page by id; the lease reaper scans the few RUNNING rows through it too.
CREATE INDEX jobs_status ON jobs (status, id);
CREATE INDEX jobs_finished ON jobs (finished_at);
CREATE INDEX jobs_task ON jobs (task, id);
CREATE INDEX jobs_batch ON jobs (batch_id, id);
