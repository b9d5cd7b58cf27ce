package io.jobpool.job;

import java.util.List;

/**
 * A validated batch about to be stored with its chunk jobs, in one transaction.
 *
 * @param chunks one job per chunk, in item order; each job's args hold its items' argument arrays
 * @param idempotencyKey the client's key scoped to its owner ({@code owner:key}), or {@code null}
 * @param requestHash digest of the request under that key, to tell a retry from a conflicting request
 */
public record NewBatch(Batch batch, List<NewJob> chunks, String idempotencyKey, String requestHash) {}
