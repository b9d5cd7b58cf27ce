package io.jobpool.job;

import java.time.Duration;

/**
 * A client's batch, parsed but not yet checked against the configured bounds.
 *
 * @param items the items ({@code map}), or argument arrays ({@code starmap})
 * @param chunksize items per chunk, or {@code null} to choose one the way {@code Pool.map} does
 * @param timeout {@code null} for the default; bounds each chunk's run
 * @param idempotencyKey the request's {@code Idempotency-Key}, or {@code null}
 */
public record BatchSubmission(
        String task, BatchItems items, boolean starmap, Integer chunksize, Duration timeout, int priority, Duration delay,
        int maxRetries, String callbackUrl, String errorCallbackUrl, String owner, String idempotencyKey) {}
