package io.jobpool.node;

import io.jobpool.job.LocalNode;
import io.jobpool.pool.PoolSnapshot;
import io.jobpool.pool.Pools;
import io.jobpool.pool.WorkerPool;
import io.jobpool.protocol.Message;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * This replica as the rest of the service sees it: the one place outside the node package that
 * reaches its {@link WorkerPool}, for the job core ({@link LocalNode}) and for the pool endpoints.
 */
public final class NodeRuntime implements LocalNode {

    private final String id;
    private final Pools pools;
    private final Dispatcher dispatcher;

    public NodeRuntime(String id, Pools pools, Dispatcher dispatcher) {
        this.id = id;
        this.pools = pools;
        this.dispatcher = dispatcher;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public Optional<java.util.Set<String>> knownTasks() {
        return pools.knownTasks();
    }

    /** Every task the workers of each runtime registered, with its runtime. */
    public List<Pools.RuntimeTask> tasks() {
        return pools.catalogue();
    }

    @Override
    public CompletableFuture<Optional<String>> liveLogs(String jobId) {
        return pools.runningLogs(jobId);
    }

    @Override
    public Optional<Long> workerPid(String jobId) {
        return pools.workers().stream().filter(w -> jobId.equals(w.jobId()))
                .map(PoolSnapshot.WorkerInfo::pid).filter(java.util.Objects::nonNull).findFirst();
    }

    @Override
    public int poolSize() {
        return pools.primary().snapshot().size();
    }

    @Override
    public int poolSize(String task) {
        for (var pool : pools.all()) {
            var snapshot = pool.snapshot();
            if (snapshot.catalogue().stream().anyMatch(registered -> registered.name().equals(task))) {
                return snapshot.size();
            }
        }
        return poolSize();
    }

    @Override
    public void kill(String jobId) {
        pools.cancel(jobId);
    }

    @Override
    public Optional<WorkerReservation> reserveIdleWorker(String task) {
        return dispatcher.reserveIdleWorker(task);
    }

    /** This replica's Java workers. */
    public PoolSnapshot snapshot() {
        return pools.primary().snapshot();
    }

    /** One runtime's pool as it is now: {@code primary} for the Java pool, which the top of {@code GET /v1/pool} shows. */
    public record RuntimePool(String runtime, boolean primary, PoolSnapshot snapshot) {}

    /** Every runtime's pool on this replica, Java first. */
    public List<RuntimePool> pools() {
        return pools.all().stream().map(p -> new RuntimePool(p.runtime(), p == pools.primary(), p.snapshot())).toList();
    }

    /**
     * Resizes the pool of {@code runtime} ({@code null}: the Java pool) live; false if this replica
     * has no pool of that runtime.
     */
    public boolean resize(String runtime, int size) {
        Optional<WorkerPool> pool = runtime == null ? Optional.of(pools.primary()) : pools.byRuntime(runtime);
        pool.ifPresent(p -> p.resize(size));
        return pool.isPresent();
    }

    /** Whether {@code runtime} ({@code null}: Java) names the Java pool. */
    public boolean isPrimary(String runtime) {
        return runtime == null || runtime.equals(pools.primary().runtime());
    }

    /** The runtimes this replica has a pool for. */
    public List<String> runtimes() {
        return pools.all().stream().map(WorkerPool::runtime).toList();
    }
}
