package io.jobpool.node;

import io.jobpool.pool.PoolSnapshot;
import io.jobpool.pool.WorkerPool;
import io.jobpool.pool.WorkerState;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Part of readiness: the pool keeps at least one worker alive. Down while workers fail to boot
 * (the pool is backing off) or before the first one is ready.
 */
public final class PoolHealthIndicator implements HealthIndicator {

    private final WorkerPool pool;

    public PoolHealthIndicator(WorkerPool pool) {
        this.pool = pool;
    }

    @Override
    public Health health() {
        PoolSnapshot snapshot = pool.snapshot();
        Health.Builder health = snapshot.running() && snapshot.hasLiveWorker() ? Health.up() : Health.down();
        health.withDetail("size", snapshot.size())
                .withDetail("idle", snapshot.count(WorkerState.IDLE))
                .withDetail("busy", snapshot.count(WorkerState.BUSY))
                .withDetail("starting", snapshot.count(WorkerState.STARTING));
        if (snapshot.bootError() != null) {
            health.withDetail("bootError", snapshot.bootError());
        }
        return health.build();
    }
}
