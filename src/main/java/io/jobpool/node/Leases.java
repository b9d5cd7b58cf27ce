package io.jobpool.node;

import io.jobpool.job.Job;
import io.jobpool.job.JobError;
import io.jobpool.job.JobStore;
import io.jobpool.job.JobTransition;
import io.jobpool.job.JobWaiters;
import io.jobpool.job.WorkSignal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's claims alive and takes back the jobs of nodes that died.
 *
 * <p>{@link #renew()} extends the lease of every job this node still works on. {@link #reapOrphans} puts
 * RUNNING jobs whose lease ran out back in the queue, counted as a redelivery; past
 * {@code maxRedeliveries} the job fails with WorkerLostError instead of looping forever. At start
 * on the embedded store no other node can exist, so every RUNNING job is an orphan of the
 * previous run and is reaped at once.
 */
public final class Leases {

    private static final Logger log = LoggerFactory.getLogger(Leases.class);

    private final JobStore store;
    private final RunningJobs running;
    private final JobWaiters waiters;
    private final WorkSignal workSignal;
    private final String node;
    private final Duration lease;
    private final int maxRedeliveries;
    private final Clock clock;

    public Leases(JobStore store, RunningJobs running, JobWaiters waiters, WorkSignal workSignal, String node,
            Duration lease, int maxRedeliveries, Clock clock) {
        this.store = store;
        this.running = running;
        this.waiters = waiters;
        this.workSignal = workSignal;
        this.node = node;
        this.lease = lease;
        this.maxRedeliveries = maxRedeliveries;
        this.clock = clock;
    }

    public void renew() {
        try {
            java.util.Set<String> mine = running.ids();
            if (!mine.isEmpty()) {
                store.renewLeases(node, mine, clock.instant().plus(lease));
            }
        } catch (RuntimeException e) {
            log.error("Could not renew job leases; will try again at the next heartbeat", e);
        }
    }

    /** @param everyOtherNode also take jobs held by any other node, lease or not (single-node store at start) */
    public int reapOrphans(boolean everyOtherNode) {
        Instant now = clock.instant();
        int reaped = 0;
        try {
            for (Job job : store.orphans(node, now, everyOtherNode)) {
                if (job.redeliveries() >= maxRedeliveries) {
                    JobError lost = new JobError("WorkerLostError", "the job's node or worker was lost "
                            + (job.redeliveries() + 1) + " times (jobpool.jobs.max-redeliveries=" + maxRedeliveries + ")", null);
                    if (store.transition(JobTransition.failed(job.id(), null, lost, null, null, now))) {
                        log.warn("Job {} FAILED: lost with its node {} times; not redelivered again", job.id(), job.redeliveries() + 1);
                        waiters.signal(job.id());
                        reaped++;
                    }
                } else if (store.transition(JobTransition.redelivered(job.id(), new JobError("WorkerLostError",
                        "node " + job.workerNode() + ", which ran this attempt, was lost (its lease ran out or it restarted);"
                                + " redelivered (" + (job.redeliveries() + 1) + " of at most " + maxRedeliveries + ")", null)))) {
                    log.warn("Job {} (task {}) was RUNNING on a node that is gone; back in the queue (redelivery {})",
                            job.id(), job.task(), job.redeliveries() + 1);
                    reaped++;
                }
            }
        } catch (RuntimeException e) {
            log.error("Could not reap orphaned jobs; will try again at the next round", e);
        }
        if (reaped > 0) {
            workSignal.jobsAvailable();
        }
        return reaped;
    }
}
