package io.jobpool.job;

import java.time.Duration;
import java.time.Instant;

/**
 * One replica as its heartbeat last recorded it.
 *
 * @param poolSize its configured number of workers
 * @param running the jobs it held at its last heartbeat
 * @param lease its own {@code jobpool.jobs.lease}: it heartbeats every third of it, so it is alive
 *     while its last heartbeat is younger than this; {@code null} for a row a replica of an earlier
 *     version wrote, which did not record it
 */
public record ClusterNode(String id, Instant startedAt, Instant heartbeatAt, int poolSize, int running, Duration lease) {

    /** A replica whose lease is not known (a row of an earlier version). */
    public ClusterNode(String id, Instant startedAt, Instant heartbeatAt, int poolSize, int running) {
        this(id, startedAt, heartbeatAt, poolSize, running, null);
    }

    /**
     * Whether the replica counts as alive at {@code now}: its last heartbeat is younger than its
     * own lease (replicas may run different leases, as halfway through a rolling change of the
     * setting), or than {@code unknownLease} when its row does not record one.
     */
    public boolean aliveAt(Instant now, Duration unknownLease) {
        return heartbeatAt.plus(leaseOr(unknownLease)).isAfter(now);
    }

    /** Its own lease, or {@code unknownLease} when its row does not record one. */
    public Duration leaseOr(Duration unknownLease) {
        return lease != null ? lease : unknownLease;
    }
}
