package io.jobpool.pool;

import io.jobpool.protocol.Message;
import java.time.Duration;

/**
 * What the supervisor needs to know, decoupled from Spring's configuration binding.
 *
 * @param prefetch jobs claimed ahead of a free worker, waiting in the pool's backlog
 * @param init the first frame every new worker receives
 * @param killLeftoverProcesses kill the processes a job's task left running when the job ends
 * @param retireOnLeftoverThreads replace a worker whose task left threads running, after its job
 * @param bootTimeout how long a worker may take from its start to ready (booting and running the
 *     initializer) before it is killed as a boot failure
 */
public record PoolSettings(
        int size, int prefetch, int maxTasksPerWorker, int maxTasksPerWorkerJitter, long maxWorkerRssBytes,
        Duration killGrace, Duration bootBackoffMax, int maxLogBytes, Message.Init init, boolean killLeftoverProcesses,
        boolean retireOnLeftoverThreads, Duration bootTimeout) {

    /** The most workers a pool may have, at start ({@code pool.size}) and by {@code PUT /v1/pool}. */
    public static final int MAX_SIZE = 1024;

    /** The boot limit of every pool the service runs (README, "Workers"). */
    public static final Duration BOOT_TIMEOUT = Duration.ofSeconds(60);
}
