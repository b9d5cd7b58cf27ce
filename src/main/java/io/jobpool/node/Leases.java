package io.jobpool.node;

import io.jobpool.job.Job;
import io.jobpool.job.JobError;
import io.jobpool.job.JobStore;
import io.jobpool.job.JobTransition;
import io.jobpool.job.JobWaiters;
import io.jobpool.job.WorkSignal;
import io.jobpool.metrics.JobMetrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's claims alive and takes back the jobs of nodes that died.
 *
 * <p>{@link #renew()} extends the lease of every job this node still works on. {@link #reapOrphans} puts
 * RUNNING jobs whose lease ran out back in the queue, counted as a redelivery; past
 * {@code maxRedeliveries} the job fails with WorkerLostError instead of looping forever, and this
 * node, which failed it, counts it as completed: no other one will (the node that ran it is gone,
 * or, restarted, has no worker that ran it).
 *
 * <p>A lease that ran out proves a node dead only if that node could have renewed it. When the
 * database was out of reach every lease ran out together, and the first replica back would take
 * the jobs of replicas that are alive and still running them: the same job twice at once, and
 * finished work thrown away. So a node takes jobs back only once it has itself been in contact
 * with the store for a whole lease (every query of this class since then succeeded): by then
 * every live replica has renewed its leases (every third of a lease), and what is still expired
 * belongs to a node that is gone. "A whole lease" is the longer of this node's and that of the
 * node holding the job, as its heartbeat records it: replicas may run different leases, and one
 * with a longer lease renews less often.
 */
public final class Leases {

    private static final Logger log = LoggerFactory.getLogger(Leases.class);
    /** A store outage is told once, not at every heartbeat or round while it lasts (each with a trace). */
    private final io.jobpool.job.OncePerOutage renewFailures = new io.jobpool.job.OncePerOutage(log,
            "Could not renew job leases ({}); will try again at every heartbeat");
    private final io.jobpool.job.OncePerOutage reapFailures = new io.jobpool.job.OncePerOutage(log,
            "Could not look for or take back orphaned jobs ({}); will try again at every round");

    private final JobStore store;
    private final RunningJobs running;
    private final JobWaiters waiters;
    private final WorkSignal workSignal;
    private final JobMetrics metrics;
    private final String node;
    private final Duration lease;
    private final int maxRedeliveries;
    private final Clock clock;
    /** Since when every store call of this class succeeded; {@code null} after one failed. Guarded by this. */
    private Instant inContactSince;

    public Leases(JobStore store, RunningJobs running, JobWaiters waiters, WorkSignal workSignal, JobMetrics metrics, String node,
            Duration lease, int maxRedeliveries, Clock clock) {
        this.store = store;
        this.running = running;
        this.waiters = waiters;
        this.workSignal = workSignal;
        this.metrics = metrics;
        this.node = node;
        this.lease = lease;
        this.maxRedeliveries = maxRedeliveries;
        this.clock = clock;
        this.inContactSince = clock.instant();
    }

    public void renew() {
        try {
            java.util.Set<String> mine = running.ids();
            if (!mine.isEmpty()) {
                store.renewLeases(node, mine, clock.instant().plus(lease));
                inContact();
                renewFailures.succeeded();
            }
        } catch (RuntimeException e) {
            lostContact();
            renewFailures.failed(e);
        }
    }

    /**
     * At start: the jobs this node id left RUNNING in an earlier run (a restart under a stable
     * {@code jobpool.node-id}: no worker of this process runs them), and on the embedded store every
     * RUNNING job, since no other node can hold one.
     */
    public int reapAtStart(boolean embedded) {
        Instant now = clock.instant();
        try {
            Map<String, Job> left = new LinkedHashMap<>();
            store.runningOn(node).forEach(job -> left.put(job.id(), job));
            if (embedded) {
                store.orphans(node, now, true).forEach(job -> left.put(job.id(), job));
            }
            return reap(new ArrayList<>(left.values()), now);
        } catch (RuntimeException e) {
            lostContact();
            log.error("Could not take back the jobs an earlier run left RUNNING; the reaper takes them once their lease ran out", e);
            return 0;
        }
    }

    /**
     * RUNNING jobs whose lease ran out back in the queue, once this node has been in contact with
     * the store for a whole lease (see the class comment); before that it takes none.
     */
    public int reapOrphans() {
        Instant now = clock.instant();
        List<Job> orphans;
        try {
            orphans = store.orphans(node, now, false);
            reapFailures.succeeded();
        } catch (RuntimeException e) {
            lostContact();
            reapFailures.failed(e);
            return 0;
        }
        Instant since = inContact();
        if (orphans.isEmpty()) {
            return 0;
        }
        // Measured now, after the query: contact that began with this very query began after
        // {@code now}, and read as "only -23 ms ago".
        Duration inContactFor = Duration.between(since, clock.instant());
        if (inContactFor.compareTo(lease) < 0) {
            log.info("{} job(s) have a lease that ran out, but this node reached the store again only {} ms ago; they are taken"
                    + " back once it has been in contact for a whole lease ({}), so that live replicas renew theirs first",
                    orphans.size(), inContactFor.toMillis(), lease);
            return 0;
        }
        List<Job> due = afterTheirNodesLease(orphans, inContactFor);
        return due.isEmpty() ? 0 : reap(due, now);
    }

    /**
     * The orphans whose node, by its own lease, has had time to renew them: a replica running a
     * longer lease than this one renews every third of its own, so after an outage its leases can
     * still be expired when this node has been back for a whole lease of its own. Such a job waits
     * until this node has been in contact for a whole lease of the node that holds it.
     */
    private List<Job> afterTheirNodesLease(List<Job> orphans, Duration inContactFor) {
        Map<String, Duration> leases = new java.util.HashMap<>();
        try {
            store.nodes().forEach(n -> leases.put(n.id(), n.leaseOr(lease)));
        } catch (RuntimeException e) {
            lostContact();
            reapFailures.failed(e);
            return List.of();
        }
        List<Job> due = new ArrayList<>();
        Map<String, Duration> waiting = new java.util.TreeMap<>();
        for (Job job : orphans) {
            Duration theirs = job.workerNode() == null ? lease : leases.getOrDefault(job.workerNode(), lease);
            if (inContactFor.compareTo(theirs) >= 0) {
                due.add(job);
            } else {
                waiting.put(job.workerNode(), theirs);
            }
        }
        if (!waiting.isEmpty()) {
            log.info("{} job(s) have a lease that ran out, but their nodes run longer leases ({}) and this node reached the store"
                    + " again only {} ms ago; they are taken back once it has been in contact that long, so that those nodes,"
                    + " if alive, renew them first", orphans.size() - due.size(), waiting, inContactFor.toMillis());
        }
        return due;
    }

    private int reap(List<Job> orphans, Instant now) {
        int reaped = 0;
        try {
            for (Job job : orphans) {
                if (job.redeliveries() >= maxRedeliveries) {
                    JobError lost = new JobError("WorkerLostError", "the job's node or worker was lost "
                            + (job.redeliveries() + 1) + " time(s) (jobpool.jobs.max-redeliveries=" + maxRedeliveries + ")", null);
                    if (store.transition(JobTransition.failed(job.id(), job.workerNode(), lost, null, null, now))) {
                        // No run time: how long it ran before its node was lost is not known.
                        metrics.completed(job.task(), "failed", null);
                        log.warn("Job {} FAILED: lost with its node {} time(s); not redelivered again", job.id(), job.redeliveries() + 1);
                        waiters.signal(job.id());
                        reaped++;
                    }
                } else if (store.transition(JobTransition.redelivered(job.id(), job.workerNode(), new JobError("WorkerLostError",
                        "node " + job.workerNode() + ", which ran this attempt, was lost (its lease ran out or it restarted);"
                                + " redelivered (" + (job.redeliveries() + 1) + " of at most " + maxRedeliveries + ")", null)))) {
                    // The same node id after a restart: this node's earlier run is what was lost.
                    String where = node.equals(job.workerNode()) ? "this node (" + node + ") before it restarted"
                            : "node " + job.workerNode() + ", which is gone";
                    log.warn("Job {} (task {}) was RUNNING on {}; back in the queue (redelivery {})",
                            job.id(), job.task(), where, job.redeliveries() + 1);
                    reaped++;
                }
            }
        } catch (RuntimeException e) {
            lostContact();
            reapFailures.failed(e);
        }
        if (reaped > 0) {
            workSignal.jobsAvailable();
        }
        return reaped;
    }

    /** @return since when this node has been in contact with the store */
    private synchronized Instant inContact() {
        if (inContactSince == null) {
            inContactSince = clock.instant();
            log.info("In contact with the store again; jobs whose lease ran out meanwhile are taken back only after {} more of"
                    + " contact, once live replicas have renewed theirs", lease);
        }
        return inContactSince;
    }

    private synchronized void lostContact() {
        inContactSince = null;
    }
}
