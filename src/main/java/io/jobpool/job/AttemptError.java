package io.jobpool.job;

import java.time.Instant;

/**
 * The error of one failed attempt of a job; a retried job keeps one per attempt.
 *
 * @param startedAt when that attempt started
 */
public record AttemptError(int attempt, String type, String message, Instant startedAt) {}
