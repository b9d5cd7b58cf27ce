package io.jobpool.node;

import io.jobpool.pool.PoolSnapshot;
import io.jobpool.pool.Pools;
import io.jobpool.pool.WorkerPool;
import io.jobpool.pool.WorkerState;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Part of readiness: every runtime's pool keeps at least one worker alive. Down while a pool has
 * no live worker and its workers fail to boot (it is backing off; {@code bootError} says why, e.g.
 * a Python task module with a syntax error) or before its first one is ready; not while it replaces
 * a worker it ended (a cancel or timeout on a pool of one would otherwise take the replica out of
 * service). A boot error while older workers still run jobs shows in the details only: the replica
 * still works, and out of service it would take every runtime's jobs and the API with it. The Java
 * pool's details stay at the top level; each other runtime's are under its name.
 */
public final class PoolHealthIndicator implements HealthIndicator {

    private final Pools pools;

    public PoolHealthIndicator(Pools pools) {
        this.pools = pools;
    }

    @Override
    public Health health() {
        boolean up = true;
        Health.Builder health = Health.unknown();
        for (WorkerPool pool : pools.all()) {
            PoolSnapshot snapshot = pool.snapshot();
            up &= snapshot.running() && snapshot.keepsWorkersAlive();
            Map<String, Object> details = details(snapshot);
            if (pool == pools.primary()) {
                health.withDetails(details);
            } else {
                health.withDetail(pool.runtime(), details);
            }
        }
        return (up ? health.up() : health.down()).build();
    }

    private static Map<String, Object> details(PoolSnapshot snapshot) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("size", snapshot.size());
        details.put("idle", snapshot.count(WorkerState.IDLE));
        details.put("busy", snapshot.count(WorkerState.BUSY));
        details.put("starting", snapshot.count(WorkerState.STARTING));
        if (snapshot.bootStatus() != null) {
            details.put("bootError", snapshot.bootStatus());
        }
        return details;
    }
}
