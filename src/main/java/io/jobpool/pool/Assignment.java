package io.jobpool.pool;

import java.time.Duration;

/** A claimed job handed to the pool: everything a worker needs to run it. */
public record Assignment(String jobId, String task, String args, String kwargs, int attempt, Duration timeout) {}
