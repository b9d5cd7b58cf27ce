-- Idempotency-Key on POST /v1/batches (see db/migration/sql/V9). H2 has no partial index; its
-- unique index admits any number of NULLs.
ALTER TABLE batches ADD COLUMN idempotency_key VARCHAR(500);
ALTER TABLE batches ADD COLUMN request_hash VARCHAR(64);
CREATE UNIQUE INDEX batches_idempotency ON batches (idempotency_key);
