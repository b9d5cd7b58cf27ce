package io.jobpool.job;

import java.time.Instant;

/**
 * The service-wide state of the pool, one row every replica reads before accepting work.
 *
 * @param accepting false after {@code close()} or {@code terminate()}, until {@code open()}
 * @param changedAt when it last changed ({@code null} if never)
 * @param changedBy the replica that changed it
 */
public record PoolState(boolean accepting, Instant changedAt, String changedBy) {}
