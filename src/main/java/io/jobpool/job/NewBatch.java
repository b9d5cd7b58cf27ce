package io.jobpool.job;

import java.util.List;

/**
 * A validated batch about to be stored with its chunk jobs, in one transaction.
 *
 * @param chunks one job per chunk, in item order; each job's args hold its items' argument arrays
 */
public record NewBatch(Batch batch, List<NewJob> chunks) {}
