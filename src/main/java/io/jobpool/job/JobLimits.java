package io.jobpool.job;

import java.time.Duration;

/** The configured bounds a submission is checked against. */
public record JobLimits(
        Duration defaultTimeout, Duration maxTimeout, long maxPayloadBytes, int maxRetries, Duration maxDelay,
        Duration maxWait, int queueCapacity) {}
