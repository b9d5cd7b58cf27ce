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
 * @param everReady whether a worker of the pool was ever ready
 * @param slowBoot while no worker is ready: a worker that has been booting for a while and is not
 *     ready yet (a slow or hanging initializer, a module that hangs at import), else {@code null}
 */
public record PoolSnapshot(
        int size, boolean running, List<WorkerInfo> workers, String bootError,
        List<Message.TaskInfo> catalogue, boolean everReady, String slowBoot) {

    /**
     * What to tell an operator about booting: that a worker is still booting, and the last failure.
     * The booting worker comes first: after a failure, its traceback alone read as the state of
     * now for the minute a replacement hung (an operator who had just changed the module saw the
     * old error). Only {@code bootError} counts against readiness: a slow boot is not a failure (yet).
     */
    public String bootStatus() {
        if (slowBoot == null || bootError == null) {
            return bootError != null ? bootError : slowBoot;
        }
        return slowBoot + "; the boot before it failed: " + bootError;
    }

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

    /**
     * Whether the pool can keep a worker alive: one is ready now, or the pool is only replacing
     * workers it ended (a cancel, a timeout, a recycle) with booting ones, as its workers always
     * booted before. A pool whose workers fail to boot ({@code bootError}), or none of whose workers
     * was ever ready, cannot.
     */
    public boolean keepsWorkersAlive() {
        return hasLiveWorker()
                || everReady && bootError == null && workers.stream().anyMatch(w -> w.state() == WorkerState.STARTING);
    }
}
