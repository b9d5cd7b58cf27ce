package io.jobpool.pool;

import io.jobpool.protocol.Message;
import java.time.Duration;

/**
 * What the supervisor needs to know, decoupled from Spring's configuration binding.
 *
 * @param prefetch jobs claimed ahead of a free worker, waiting in the pool's backlog
 * @param init the first frame every new worker receives
 * @param killLeftoverProcesses kill the processes a job's task left running when the job ends
 */
public record PoolSettings(
        int size, int prefetch, int maxTasksPerWorker, int maxTasksPerWorkerJitter, long maxWorkerRssBytes,
        Duration killGrace, Duration bootBackoffMax, int maxLogBytes, Message.Init init, boolean killLeftoverProcesses) {}
