package io.jobpool.pool;

import io.jobpool.protocol.Message;
import java.time.Instant;
import java.util.List;

/**
 * An immutable picture of the pool, published by the supervisor after each round so readers never
 * touch its state.
 *
 * @param bootError the last boot failure while the pool is backing off, else {@code null}
 * @param catalogue tasks the workers registered, empty until a first worker was ready
 */
public record PoolSnapshot(
        int size, boolean running, List<WorkerInfo> workers, String bootError,
        List<Message.TaskInfo> catalogue) {

    /** One worker. */
    public record WorkerInfo(String id, Long pid, WorkerState state, String jobId, int tasksCompleted,
            Instant startedAt) {}

    public long count(WorkerState state) {
        return workers.stream().filter(w -> w.state() == state).count();
    }

    /** Whether the pool currently keeps at least one worker alive and ready for jobs. */
    public boolean hasLiveWorker() {
        return workers.stream().anyMatch(w -> w.state() == WorkerState.IDLE || w.state() == WorkerState.BUSY);
    }
}
