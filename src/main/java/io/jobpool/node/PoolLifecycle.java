package io.jobpool.node;

import io.jobpool.config.JobpoolProperties;
import io.jobpool.config.NodeIdentity;
import io.jobpool.job.Job;
import io.jobpool.job.JobStore;
import io.jobpool.job.JobWaiters;
import io.jobpool.pool.Pools;
import io.jobpool.pool.WorkerFiles;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.ContextClosedEvent;

/**
 * Starts and stops the pool with the application.
 *
 * <p>Start: re-queue what a previous run left RUNNING, prefork the workers, start claiming, start
 * the housekeeping (lease and node heartbeat, orphan reaper, expiry of old results and of silent nodes). Stop, on SIGTERM: as
 * soon as the context starts closing no new job is claimed, waiting requests answer with what they
 * have, and running jobs get {@code jobpool.shutdown.grace} to finish, then the rest are killed
 * and go back to the queue. The grace runs while the web server drains its requests, not after:
 * a client long-polling for up to five minutes held that drain for its whole phase timeout before
 * the grace began, past the pod's termination period. Last, the outcome writes finish before the
 * store closes.
 */
public final class PoolLifecycle implements SmartLifecycle, ApplicationListener<ContextClosedEvent>, ApplicationContextAware {

    private static final Logger log = LoggerFactory.getLogger(PoolLifecycle.class);
    private static final Duration CATALOGUE_WAIT = Duration.ofSeconds(60);
    /** How long a stopping node waits for outcomes still being written before it abandons them. */
    private static final Duration OUTCOME_WAIT = Duration.ofSeconds(10);
    /** How long abandoned outcome writers get to notice they were interrupted. */
    private static final Duration ABANDON_WAIT = Duration.ofSeconds(2);

    private final Pools pool;
    private final Dispatcher dispatcher;
    private final Leases leases;
    private final ClusterCommands commands;
    private final JobStore store;
    private final ExecutorService outcomeWriters;
    private final JobCompletion completion;
    private final JobWaiters waiters;
    private final NodeIdentity node;
    private final JobpoolProperties properties;
    private final Clock clock;
    private final ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("jobpool-housekeeping").daemon().factory());
    private volatile boolean running;
    /** The workers' shutdown, begun when the context starts closing; awaited in {@link #stop}. */
    private volatile CompletableFuture<Void> poolShutdown;
    /** This application's context, to tell its closing from the management server's child context. */
    private ApplicationContext context;

    public PoolLifecycle(Pools pool, Dispatcher dispatcher, Leases leases, ClusterCommands commands, JobStore store,
            ExecutorService outcomeWriters, JobCompletion completion, JobWaiters waiters, NodeIdentity node, JobpoolProperties properties,
            Clock clock) {
        this.commands = commands;
        this.completion = completion;
        this.waiters = waiters;
        this.pool = pool;
        this.dispatcher = dispatcher;
        this.leases = leases;
        this.store = store;
        this.outcomeWriters = outcomeWriters;
        this.node = node;
        this.properties = properties;
        this.clock = clock;
    }

    @Override
    public void start() {
        if (!properties.security().enforced()) {
            log.warn("No API keys configured (jobpool.security.api-keys): the API is open to anyone who can reach it;"
                    + " GET /v1/pool reports \"authentication\": \"disabled\"");
        }
        int recovered = leases.reapAtStart(node.embedded());
        if (recovered > 0) {
            log.info("Re-queued {} job(s) left RUNNING by a previous run", recovered);
        }
        try {
            commands.heartbeat();
        } catch (RuntimeException e) {
            log.warn("Could not record this node's first heartbeat; the next one will try again: {}", e.toString());
        }
        // Marked before the workers start from them, so that no other server deletes them meanwhile.
        WorkerFiles files = pool.workerFiles();
        files.markUsed(clock.instant());
        pool.start();
        refuseTasksInTwoRuntimes();
        dispatcher.start();
        Duration lease = properties.jobs().lease();
        housekeeping.execute(this::warnOfCapsOnNoTask);
        every(lease.dividedBy(3), leases::renew);
        every(lease.dividedBy(3), commands::heartbeat);
        every(lease.dividedBy(2), leases::reapOrphans);
        every(Duration.ofMinutes(1), this::deleteExpiredResults);
        every(Duration.ofMinutes(1), () -> commands.forget(properties.cluster().nodeExpiry(), false));
        // At once (on the housekeeping thread: deleting old builds' files can take a while), then hourly.
        every(Duration.ofHours(1), Duration.ZERO, () -> {
            files.markUsed(clock.instant());
            files.deleteUnused(clock.instant());
        });
        running = true;
        log.info("jobpool node {} started: {} Java and {} Python workers, store {}", node.id(), properties.pool().effectiveSize(),
                properties.python().effectiveSize(),
                node.store());
    }

    /**
     * A task name registered by both the Java and the Python workers would run in whichever pool
     * claimed it first: the service refuses to start. With more than one runtime this waits until
     * each pool has had a worker ready (or has failed to boot), which the readiness probe waits for
     * anyway.
     */
    private void refuseTasksInTwoRuntimes() {
        if (pool.all().size() < 2) {
            return;
        }
        if (!awaitCatalogues()) {
            return;
        }
        java.util.Map<String, java.util.List<String>> duplicates = pool.duplicateTasks();
        if (!duplicates.isEmpty()) {
            pool.shutdown(Duration.ZERO);
            throw new io.jobpool.config.StartRefusedException("Task names registered by more than one runtime: " + duplicates
                    + " (each job of such a name would run in whichever pool claimed it first)",
                    "Rename the Python task (@task(name=...)) or remove one of them.", null);
        }
        pool.refuseTasksOfOtherRuntimes();
    }

    /**
     * A cap on a name no worker here registers caps nothing here: a typo, a task with capitals or
     * '-' named through the environment (whose variables bind names in lower case), or a task only
     * other replicas run. Said once, when every pool has reported its tasks.
     */
    private void warnOfCapsOnNoTask() {
        java.util.Set<String> capped = store.cappedTasks();
        if (capped.isEmpty()) {
            return;
        }
        java.util.Optional<java.util.Set<String>> known = awaitCatalogues() ? pool.knownTasks() : java.util.Optional.empty();
        if (known.isEmpty()) {
            return; // a pool that failed to boot knows no tasks; its error is reported already
        }
        capsOnNoTask(capped, known.get()).forEach(log::warn);
    }

    /** What {@link #warnOfCapsOnNoTask} says: a line for each capped name none of {@code registered} is. */
    static java.util.List<String> capsOnNoTask(java.util.Set<String> capped, java.util.Set<String> registered) {
        return new java.util.TreeSet<>(capped).stream().filter(task -> !registered.contains(task))
                .map(task -> "jobpool.tasks." + task + ".max-concurrency caps a task no worker of this replica registers"
                        + " (its tasks: " + new java.util.TreeSet<>(registered) + "); unless another replica runs '" + task
                        + "', the cap applies to nothing. A name with capitals or '-' cannot come from an environment variable,"
                        + " which names tasks in lower case: set it in application.yaml or SPRING_APPLICATION_JSON")
                .toList();
    }

    /**
     * Waits (up to {@link #CATALOGUE_WAIT}) until each pool has had a worker ready or failed to
     * boot; false if interrupted.
     */
    private boolean awaitCatalogues() {
        long deadline = System.nanoTime() + CATALOGUE_WAIT.toNanos();
        while (pool.all().stream().anyMatch(p -> p.snapshot().catalogue().isEmpty() && p.snapshot().bootError() == null)
                && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(20); // polling the supervisors' published snapshots; there is no event to wait on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private void every(Duration period, Runnable duty) {
        every(period, period, duty);
    }

    private void every(Duration period, Duration firstAfter, Runnable duty) {
        // A store outage fails a duty at each run: told once per outage, with no trace.
        io.jobpool.job.OncePerOutage failures = new io.jobpool.job.OncePerOutage(log,
                "Housekeeping duty failed ({}); it will run again every " + period.toMillis() + " ms");
        housekeeping.scheduleWithFixedDelay(() -> {
            try {
                duty.run();
                failures.succeeded();
            } catch (RuntimeException e) {
                failures.failed(e);
            }
        }, firstAfter.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void deleteExpiredResults() {
        int deleted;
        do {
            deleted = store.deleteFinishedBefore(clock.instant().minus(properties.results().ttl()), 500);
            if (deleted > 0) {
                log.info("Deleted {} finished job(s) older than jobpool.results.ttl={}", deleted, properties.results().ttl());
            }
        } while (deleted == 500);
    }

    @Override
    public void setApplicationContext(ApplicationContext context) {
        this.context = context;
    }

    /**
     * Closing starts: stop claiming before anything else shuts down. Only this application's
     * context counts: the management server's child context (actuator on its own port) closes too,
     * and its event reaches this listener as well.
     */
    @Override
    public void onApplicationEvent(ContextClosedEvent event) {
        if (running && event.getApplicationContext() == context) {
            log.info("Shutting down: no new jobs will be claimed; waiting requests answer now");
            dispatcher.stop();
            waiters.close();
            beginPoolShutdown();
        }
    }

    @Override
    public void stop() {
        if (!running) {
            return;
        }
        running = false;
        dispatcher.stop();
        waiters.close();
        Duration grace = properties.shutdown().grace();
        Duration limit = grace.plus(properties.pool().killGrace()).plusSeconds(10);
        try {
            beginPoolShutdown().get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.error("Workers did not stop within {} s; exiting anyway (they exit when the server's pipes close)", limit.toSeconds());
        } catch (Exception e) {
            log.error("Stopping the worker pool failed", e);
        }
        housekeeping.shutdownNow();
        try {
            commands.forget(properties.cluster().nodeExpiry(), true);
        } catch (RuntimeException e) {
            log.warn("Could not remove this node from the cluster's list; it drops out after jobpool.cluster.node-expiry: {}",
                    e.toString());
        }
        try {
            // Before the outcome writers stop: a success whose write fails is handed to them.
            if (!completion.awaitWritten(Duration.ofSeconds(10))) {
                log.error("Some job outcomes were not written in time; those jobs will be redelivered after restart");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopOutcomeWriters();
    }

    /**
     * Gives the outcome writers {@link #OUTCOME_WAIT} to store what they hold, then interrupts
     * them: each gives up its write at once. Left alone, a writer retries until the store answers,
     * and during a database outage held the process after SIGTERM until the database came back.
     */
    private void stopOutcomeWriters() {
        outcomeWriters.shutdown();
        try {
            if (outcomeWriters.awaitTermination(OUTCOME_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                return;
            }
            log.error("Some job outcomes were not written within {} s (is the store out of reach?); abandoning them: this node"
                    + " stops without them and those jobs will be redelivered after restart", OUTCOME_WAIT.toSeconds());
            outcomeWriters.shutdownNow();
            if (!outcomeWriters.awaitTermination(ABANDON_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("Some outcome writers are still blocked in the store {} ms after being told to give up; stopping"
                        + " without waiting for them", ABANDON_WAIT.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized CompletableFuture<Void> beginPoolShutdown() {
        if (poolShutdown == null) {
            poolShutdown = pool.shutdown(properties.shutdown().grace());
        }
        return poolShutdown;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Before the web server (higher phases start later and stop earlier), after the data source. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 2048;
    }
}
