-- Idempotency-Key on POST /v1/batches, as on POST /v1/jobs: a retried batch request returns the
-- batch the first one stored instead of queueing all its items again. The key is scoped to its
-- owner (`owner:key`); the hash tells a retry from another request under the same key. Only keyed
-- batches are in the index.
ALTER TABLE batches ADD COLUMN idempotency_key VARCHAR(500);
ALTER TABLE batches ADD COLUMN request_hash VARCHAR(64);
CREATE UNIQUE INDEX batches_idempotency ON batches (idempotency_key) WHERE idempotency_key IS NOT NULL;
