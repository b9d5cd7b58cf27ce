package io.jobpool.node;

import io.jobpool.job.Broadcast;
import io.jobpool.job.ClusterNode;
import io.jobpool.job.JobStore;
import io.jobpool.job.LocalNode;
import io.jobpool.job.OncePerOutage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out, on this replica, what any replica recorded in the store for the jobs this one runs:
 * a cancel kills the worker, a request for a running job's log stores it. Messages make it
 * immediate; {@link #heartbeat()} is the fallback that also catches a missed message, because
 * whatever the store says this node no longer holds is killed.
 */
public final class ClusterCommands {

    private static final Logger log = LoggerFactory.getLogger(ClusterCommands.class);

    /** A job's live log is stored at most this often however many readers ask. */
    private static final Duration LOG_INTERVAL = Duration.ofMillis(250);

    private final JobStore store;
    private final LocalNode node;
    private final RunningJobs running;
    private final Broadcast broadcast;
    private final ExecutorService executor;
    private final Clock clock;
    /** This node's {@code jobpool.jobs.lease}, recorded with each heartbeat: others judge its liveness by it. */
    private final Duration lease;
    private final Instant startedAt;
    /** Whether this process has written its heartbeat before; only the heartbeat thread uses it. */
    private volatile boolean beaten;
    private final Map<String, Long> logsStoredAt = new ConcurrentHashMap<>();
    /**
     * Jobs whose worker a cancel is killing, and since when (nanoTime): the heartbeat that finds
     * them CANCELLED in the store meanwhile is no news, and warned "no longer this node's" as for a
     * lost lease (2 of 69 running cancels in a soak).
     */
    private final Map<String, Long> cancelKills = new ConcurrentHashMap<>();
    /** Longer than a kill takes (SIGTERM, kill grace, SIGKILL); a job still here after it is looked at again. */
    private static final Duration CANCEL_KILL_UNDER_WAY = Duration.ofSeconds(30);
    private final OncePerOutage resyncCheckFailures = new OncePerOutage(log,
            "Could not check which running jobs are still this node's after a reconnect ({}); the heartbeat checks again"
                    + " once the store answers");

    public ClusterCommands(JobStore store, LocalNode node, RunningJobs running, Broadcast broadcast,
            ExecutorService executor, Duration lease, Clock clock) {
        this.store = store;
        this.lease = lease;
        this.node = node;
        this.running = running;
        this.broadcast = broadcast;
        this.executor = executor;
        this.clock = clock;
        // As the store keeps it (milliseconds): compared with the stored row at each heartbeat.
        this.startedAt = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        broadcast.subscribe(Broadcast.Topic.CANCEL, payload -> Broadcast.ids(payload).forEach(this::killIfHere));
        // Storing a log reads the worker and writes the store: never on the thread delivering messages.
        broadcast.subscribe(Broadcast.Topic.LOGS_REQUESTED,
                payload -> Broadcast.ids(payload).forEach(id -> inBackground(() -> storeLiveLog(id))));
        broadcast.onResync(() -> inBackground(this::killLostClaimsAfterResync));
    }

    /** On the executor; a stopping node has shut it and skips the duty: its workers are stopping too. */
    private void inBackground(Runnable duty) {
        try {
            executor.execute(duty);
        } catch (RejectedExecutionException stopping) {
            log.debug("Not checking this node's jobs: it is stopping");
        }
    }

    /**
     * The check at a reconnect of the listening session, on a thread of its own: nothing above it
     * catches a failure, which reached stderr raw once per reconnect attempt of an outage. The
     * heartbeat makes the same check again every third of a lease.
     */
    private void killLostClaimsAfterResync() {
        try {
            killLostClaims();
            resyncCheckFailures.succeeded();
        } catch (RuntimeException e) {
            resyncCheckFailures.failed(e);
        }
    }

    private void killIfHere(String jobId) {
        if (running.contains(jobId)) {
            log.info("Job {} was cancelled; stopping it on this node (killing its worker, if one has taken it yet)", jobId);
            cancelKills.put(jobId, System.nanoTime());
            node.kill(jobId);
        }
    }

    private void storeLiveLog(String jobId) {
        if (!running.contains(jobId)) {
            return;
        }
        long now = System.nanoTime();
        Long last = logsStoredAt.get(jobId);
        try {
            if (last == null || now - last >= LOG_INTERVAL.toNanos()) {
                logsStoredAt.put(jobId, now);
                Optional<String> logs = node.liveLogs(jobId).get(2, TimeUnit.SECONDS);
                if (logs.isEmpty() || !store.storeLiveLogs(jobId, node.id(), logs.get())) {
                    return;
                }
            }
            broadcast.publishIds(Broadcast.Topic.LOGS_STORED, java.util.List.of(jobId));
        } catch (Exception e) {
            log.warn("Could not store the live log of job {} for another replica; the reader gets what was stored before: {}",
                    jobId, e.toString());
        }
    }

    /**
     * Records this node as alive and kills the workers of jobs the store says it no longer holds
     * (cancelled, or taken back after its lease ran out).
     */
    public void heartbeat() {
        // The pool's size now: a live resize (PUT /v1/pool) shows on every replica's GET /v1/pool.
        ClusterNode before = store.heartbeat(new ClusterNode(node.id(), startedAt, clock.instant(), node.poolSize(), running.ids().size(),
                lease));
        if (beaten && before != null && !startedAt.equals(before.startedAt())) {
            // Another live process wrote this node's row since this one's last beat (its start differs).
            log.error("Another live process runs as node {} (it started at {}, this one at {}): two replicas under one node id"
                    + " take each other's jobs back and kill their workers; give each replica its own jobpool.node-id",
                    node.id(), before.startedAt(), startedAt);
        }
        beaten = true;
        broadcast.replicasSeen(store.nodes(), clock.instant());
        killLostClaims();
        logsStoredAt.keySet().retainAll(running.ids());
        cancelKills.keySet().retainAll(running.ids());
    }

    private void killLostClaims() {
        Set<String> mine = running.ids();
        if (mine.isEmpty()) {
            return;
        }
        Set<String> held = store.held(node.id(), mine);
        for (String jobId : mine) {
            // Still running after the read, with no outcome being written (which the store may
            // already show final while the job is still here): it really was taken away.
            if (!held.contains(jobId) && running.stillRunning(jobId)) {
                Long cancelled = cancelKills.get(jobId);
                if (cancelled != null && System.nanoTime() - cancelled < CANCEL_KILL_UNDER_WAY.toNanos()) {
                    continue; // its cancel's kill is under way (SIGTERM, the kill grace): not a lost claim
                }
                // Its worker may have finished it a moment ago (the outcome not handled yet): then
                // there is nothing to kill, and the outcome is dropped as no longer this node's.
                log.warn("Job {} is no longer this node's in the store (cancelled or taken back); its worker is killed if it"
                        + " still runs it", jobId);
                node.kill(jobId);
            }
        }
    }

    /** Removes this node from the cluster's list, and any node silent for {@code silentFor}. */
    public void forget(Duration silentFor, boolean includingThisNode) {
        store.forgetNodes(includingThisNode ? node.id() : null, clock.instant().minus(silentFor));
    }
}
