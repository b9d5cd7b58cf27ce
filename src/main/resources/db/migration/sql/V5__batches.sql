-- Batches (map / starmap). A batch of N items is one row here plus one job row per chunk, never a
-- row per item: a chunk job's args hold its items' argument lists and its result holds one outcome
-- per item. The item counters are added to in the transaction that finishes each chunk, so reading
-- a batch's counts is one row. Times are epoch milliseconds, as in jobs.
CREATE TABLE batches (
    id                 VARCHAR(36)   NOT NULL PRIMARY KEY,
    task               VARCHAR(200)  NOT NULL,
    starmap            BOOLEAN       NOT NULL,
    item_count         INTEGER       NOT NULL,
    chunksize          INTEGER       NOT NULL,
    chunk_count        INTEGER       NOT NULL,
    chunks_done        INTEGER       DEFAULT 0 NOT NULL,
    succeeded          INTEGER       DEFAULT 0 NOT NULL,
    failed             INTEGER       DEFAULT 0 NOT NULL,
    cancelled          INTEGER       DEFAULT 0 NOT NULL,
    retried            INTEGER       DEFAULT 0 NOT NULL,
    priority           INTEGER       NOT NULL,
    timeout_ms         BIGINT        NOT NULL,
    max_retries        INTEGER       NOT NULL,
    callback_url       VARCHAR(2048),
    error_callback_url VARCHAR(2048),
    owner              VARCHAR(200),
    created_at         BIGINT        NOT NULL,
    cancel_requested_at BIGINT,
    finished_at        BIGINT
);
CREATE INDEX batches_finished ON batches (finished_at);

-- A chunk job's position in its batch: its first item is batch_chunk * chunksize.
ALTER TABLE jobs ADD COLUMN batch_chunk INTEGER;
CREATE INDEX jobs_batch_chunk ON jobs (batch_id, batch_chunk);

-- Every failed attempt of a job, so a retried job shows each error and not only the last.
CREATE TABLE job_attempt_errors (
    job_id        VARCHAR(36)   NOT NULL,
    attempt       INTEGER       NOT NULL,
    error_type    VARCHAR(500)  NOT NULL,
    error_message TEXT,
    started_at    BIGINT,
    PRIMARY KEY (job_id, attempt)
);

-- Per-task concurrency caps (jobpool.tasks.<name>.max-concurrency): a claim that would start a
-- capped task locks that task's row first, so claimers on every replica count its RUNNING jobs
-- one at a time.
CREATE TABLE task_claim_locks (
    task VARCHAR(200) NOT NULL PRIMARY KEY
);
