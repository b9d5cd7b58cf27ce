package io.jobpool.job;

import java.time.Instant;

/**
 * One replica as its heartbeat last recorded it.
 *
 * @param poolSize its configured number of workers
 * @param running the jobs it held at its last heartbeat
 */
public record ClusterNode(String id, Instant startedAt, Instant heartbeatAt, int poolSize, int running) {}
