package io.jobpool.node;

import io.jobpool.job.LocalNode;
import io.jobpool.pool.PoolSnapshot;
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
    private final WorkerPool pool;

    public NodeRuntime(String id, WorkerPool pool) {
        this.id = id;
        this.pool = pool;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public List<Message.TaskInfo> catalogue() {
        return pool.snapshot().catalogue();
    }

    @Override
    public CompletableFuture<Optional<String>> liveLogs(String jobId) {
        return pool.runningLogs(jobId);
    }

    @Override
    public Optional<Long> workerPid(String jobId) {
        return pool.snapshot().workers().stream().filter(w -> jobId.equals(w.jobId()))
                .map(PoolSnapshot.WorkerInfo::pid).filter(java.util.Objects::nonNull).findFirst();
    }

    @Override
    public int poolSize() {
        return pool.snapshot().size();
    }

    @Override
    public void kill(String jobId) {
        pool.cancel(jobId);
    }

    /** This replica's workers. */
    public PoolSnapshot snapshot() {
        return pool.snapshot();
    }

    /** Resizes this replica's pool. */
    public void resize(int size) {
        pool.resize(size);
    }
}
