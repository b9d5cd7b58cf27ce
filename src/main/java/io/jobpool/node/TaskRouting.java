package io.jobpool.node;

import io.jobpool.job.ClaimFilter;
import io.jobpool.pool.Pools;
import io.jobpool.pool.WorkerPool;
import io.jobpool.protocol.Message;
import java.util.HashSet;
import java.util.Set;

/**
 * Which jobs each pool may claim: those whose task its workers registered.
 *
 * <p>The primary (Java) pool also takes tasks no runtime registered, once every other pool has
 * reported its tasks, so a job for an unknown task still ends (its worker answers
 * {@code UnknownTaskError}) instead of waiting forever. Until then it takes only its own tasks:
 * a Python job must never reach a Java worker just because the Python workers are still booting.
 */
final class TaskRouting {

    private final Pools pools;

    TaskRouting(Pools pools) {
        this.pools = pools;
    }

    ClaimFilter filterFor(WorkerPool pool) {
        if (pools.all().size() == 1) {
            return ClaimFilter.anyTask();
        }
        if (pool != pools.primary()) {
            return ClaimFilter.only(names(pool));
        }
        Set<String> others = new HashSet<>();
        for (WorkerPool other : pools.all()) {
            if (other == pool) {
                continue;
            }
            Set<String> theirs = names(other);
            if (theirs.isEmpty()) {
                return ClaimFilter.only(names(pool));
            }
            others.addAll(theirs);
        }
        return ClaimFilter.except(others);
    }

    private static Set<String> names(WorkerPool pool) {
        Set<String> names = new HashSet<>();
        for (Message.TaskInfo task : pool.snapshot().catalogue()) {
            names.add(task.name());
        }
        return names;
    }
}
