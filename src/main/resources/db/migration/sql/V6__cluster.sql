-- Service-wide state every replica honours: close()/open()/terminate() set it, submissions check it.
CREATE TABLE pool_state (
    id         INTEGER      NOT NULL PRIMARY KEY,
    accepting  BOOLEAN      NOT NULL,
    changed_at BIGINT,
    changed_by VARCHAR(200)
);
INSERT INTO pool_state (id, accepting) VALUES (1, TRUE);

-- The replicas sharing the store, by heartbeat (GET /v1/pool). Times are epoch milliseconds.
CREATE TABLE nodes (
    id           VARCHAR(200) NOT NULL PRIMARY KEY,
    started_at   BIGINT       NOT NULL,
    heartbeat_at BIGINT       NOT NULL,
    pool_size    INTEGER      NOT NULL,
    running      INTEGER      NOT NULL
);

-- The replica that ran a job's latest attempt; unlike owner_node it stays after the job ends.
ALTER TABLE jobs ADD COLUMN worker_node VARCHAR(200);
