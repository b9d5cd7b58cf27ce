package io.jobpool.pool;

import io.jobpool.process.ForkCounter;
import io.jobpool.process.ProcessTable;
import io.jobpool.process.ProcessTree;
import io.jobpool.protocol.ExitCodes;
import io.jobpool.protocol.FrameCodec;
import io.jobpool.protocol.Message;
import io.jobpool.protocol.OutputMarks;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The prefork pool: starts {@code size} workers up front and keeps that many alive.
 *
 * <p>One supervisor thread owns every {@link WorkerHandle}. Pipe readers and process exits only
 * {@link #post} events; the loop handles them and then, like gunicorn's arbiter, runs its
 * checklist: {@link #murderOverdue()} (kill jobs past their deadline, escalating to a forced
 * kill), {@link #finishKills()} (escalate or close the kills of processes a job or a worker left
 * behind), {@link #manageWorkers()} (replace the dead, with back-off for workers that cannot boot)
 * and {@link #publish()} (a snapshot for readers).
 *
 * <p>Every kill takes the worker's whole process tree ({@link io.jobpool.process.ProcessTree}):
 * the worker and what its tasks started get SIGTERM together and, after the grace, a fresh scan of
 * the tree gets SIGKILL. When a job ends, the processes its task left running are killed before
 * its outcome is reported and before the worker takes another job.
 *
 * <p>The dispatcher learns of idle workers through {@link #slots()}: a permit is released each
 * time a worker becomes idle, and taken for each job claimed. With {@code prefetch} above zero,
 * that many more permits exist, so the next jobs are already claimed and waiting in a backlog
 * when a worker frees up (Celery's prefetch); a job that arrives when no worker is idle (one died
 * in between) waits in the same backlog for the next ready worker.
 */
public final class WorkerPool {

    private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);
    /** After this long without being ready, a booting worker is reported as still booting (at most half the boot timeout). */
    private static final Duration SLOW_BOOT = Duration.ofSeconds(5);
    private static final Duration BOOT_BACKOFF_START = Duration.ofMillis(500);
    /**
     * How long a returned job's outcome waits for the end of its output to be read from stderr: a
     * child the task left running may hold the pipe full.
     */
    private static final Duration OUTPUT_MARK_WAIT = Duration.ofSeconds(2);
    /** How much of what a worker writes outside any job, between two jobs, the server logs. */
    private static final long OWN_OUTPUT_LOGGED = 64 * 1024;
    /** A line of a worker's own stderr longer than this is logged in pieces, and kept cut in the stderr tail. */
    private static final int TAIL_LINE_CHARS = 8192;
    /** How long a worker's exit waits for the last of its stderr to be read. */
    private static final Duration STDERR_AFTER_EXIT = Duration.ofMillis(500);
    /**
     * At most this many workers boot at once. A pool resized to hundreds grows a few workers at a
     * time: started all together, their boots share the cores until each outlasts the boot timeout
     * and counts as a failure. A pool of up to this size still starts all its workers together.
     */
    static final int MAX_BOOTING = 16;
    /**
     * Workers started between two looks at the events. Starting a process takes milliseconds, far
     * more on a loaded host: a supervisor that started sixteen in a row left a job for an idle
     * worker, a resize or a shutdown waiting seconds.
     */
    private static final int SPAWNS_PER_ROUND = 2;

    private final ProcessLauncher launcher;
    private final PoolSettings settings;
    private final PoolListener listener;
    private final Clock clock;
    private final LinkedBlockingQueue<PoolEvent> events = new LinkedBlockingQueue<>();
    private final Semaphore slots = new Semaphore(0);
    private final Thread supervisor;

    // Supervisor-owned state.
    private final Map<String, WorkerHandle> workers = new LinkedHashMap<>();
    /** Processes left by workers that exited, being killed; the pool has not stopped until they are gone. */
    private final List<TreeKill> reaping = new ArrayList<>();
    /** Makes each worker's marker unique beyond this pool, so two servers on one host never mix theirs up. */
    private final String markerPrefix = WorkerRuns.poolPrefix();
    /** Lets a job that forked nothing skip the scan for leftovers: most jobs start no process. */
    private final ForkCounter forks = new ForkCounter();
    private final Deque<Assignment> backlog = new ArrayDeque<>();
    private int size;
    private int nextWorkerNumber = 1;
    private int slotDebt;
    private int consecutiveBootFailures;
    private long nextSpawnAllowedNanos;
    private String bootError;
    private List<Message.TaskInfo> catalogue = List.of();
    /** When the worker whose tasks {@link #catalogue} lists was spawned. */
    private long catalogueSpawnNanos;
    /** Whether a worker of this pool was ever ready: after that, a STARTING worker is a replacement. */
    private boolean everReady;
    private boolean draining;
    /** Whether {@link #manageWorkers} left workers to start in the next round. */
    private boolean spawnPending;
    private long drainDeadlineNanos;
    private CompletableFuture<Void> stopped;

    private volatile PoolSnapshot snapshot;
    /** What is wrong with a worker's task names (another runtime's pool lists one of them), or null. */
    private volatile java.util.function.Function<java.util.Set<String>, String> taskConflict = names -> null;

    /** The files this pool's workers start from. */
    public List<java.nio.file.Path> launcherFiles() {
        return launcher.files();
    }

    public WorkerPool(ProcessLauncher launcher, PoolSettings settings, PoolListener listener, Clock clock) {
        this.launcher = launcher;
        this.settings = settings;
        this.listener = listener;
        this.clock = clock;
        this.size = settings.size();
        this.snapshot = new PoolSnapshot(size, false, List.of(), null, List.of(), false, null);
        this.supervisor = Thread.ofPlatform().name("jobpool-" + launcher.runtime() + "-pool-supervisor").daemon().unstarted(this::superviseLoop);
    }

    /** Starts the supervisor, which prefork-starts {@code size} workers. */
    public void start() {
        slots.release(settings.prefetch());
        supervisor.start();
        launcher.prepareFastStart();
    }

    /** The runtime this pool's workers run tasks in ({@code java}, {@code python}). */
    public String runtime() {
        return launcher.runtime();
    }

    /** Permits for idle workers; the dispatcher takes one per job it claims. */
    public Semaphore slots() {
        return slots;
    }

    public PoolSnapshot snapshot() {
        return snapshot;
    }

    /** Hands a claimed job to the pool. Exactly one {@link JobOutcome} will follow. */
    public void submit(Assignment assignment) {
        post(new PoolEvent.Assign(assignment));
    }

    /** Kills the worker running {@code jobId}, if this pool runs it; completes with whether it did. */
    public CompletableFuture<Boolean> cancel(String jobId) {
        CompletableFuture<Boolean> found = new CompletableFuture<>();
        post(new PoolEvent.Cancel(jobId, found));
        return found;
    }

    /**
     * What the job has printed so far, if a worker of this pool runs it now; the supervisor owns
     * the log buffer, so it answers through an event like everything else.
     */
    public CompletableFuture<Optional<String>> runningLogs(String jobId) {
        CompletableFuture<Optional<String>> logs = new CompletableFuture<>();
        post(new PoolEvent.Logs(jobId, logs));
        return logs;
    }

    public void resize(int newSize) {
        if (newSize < 1) {
            throw new IllegalArgumentException("pool size must be at least 1");
        }
        post(new PoolEvent.Resize(newSize));
    }

    /**
     * Lets running jobs finish for up to {@code grace}, then kills the rest (their outcome is
     * {@link JobOutcome.Interrupted}) and stops every worker. Completes when all have exited.
     */
    public CompletableFuture<Void> shutdown(Duration grace) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        post(new PoolEvent.Shutdown(grace, done));
        return done;
    }

    private void post(PoolEvent event) {
        events.add(event);
    }

    // ---------------------------------------------------------------- the supervisor loop

    private void superviseLoop() {
        log.info("{} worker pool starting {} workers (prefork)", launcher.runtime(), size);
        while (stopped == null || !stopped.isDone()) {
            try {
                // Workers still to start: look at the events and go on at once, not after the idle wait.
                PoolEvent event = spawnPending ? events.poll() : events.poll(50, TimeUnit.MILLISECONDS);
                while (event != null) {
                    handle(event);
                    event = events.poll();
                }
                murderOverdue();
                finishKills();
                manageWorkers();
                publish();
                if (draining && workers.isEmpty() && reaping.isEmpty()) {
                    launcher.close();
                    // After publish(), so whoever waits on the stop sees an empty pool.
                    stopped.complete(null);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException | LinkageError | AssertionError e) {
                log.error("Pool supervisor failed to handle an event; it will keep running", e);
            }
        }
        log.info("{} worker pool stopped", launcher.runtime());
    }

    private void handle(PoolEvent event) {
        switch (event) {
            case PoolEvent.FrameReceived frame -> handleFrame(frame.worker(), frame.message());
            case PoolEvent.StderrText text -> stderrText(text.worker(), text.jobId(), text.text());
            case PoolEvent.OutputEnded ended -> outputEnded(ended.worker(), ended.jobId());
            case PoolEvent.WorkerExited exited -> handleExit(exited.worker(), exited.exitCode());
            case PoolEvent.ProtocolBroken broken -> protocolBroken(broken.worker(), broken.error());
            case PoolEvent.Assign assign -> assign(assign.assignment());
            case PoolEvent.Cancel cancel -> cancel.found().complete(killJob(cancel.jobId(), WorkerHandle.StopReason.CANCEL));
            case PoolEvent.Logs logs -> logs.logs().complete(workers.values().stream()
                    .filter(w -> w.job != null && w.job.jobId().equals(logs.jobId()) && w.logs != null)
                    .map(w -> w.logs.toString()).findFirst());
            case PoolEvent.Resize resize -> applyResize(resize.size());
            case PoolEvent.Shutdown shutdown -> beginShutdown(shutdown.grace(), shutdown.done());
        }
    }

    private void handleFrame(WorkerHandle worker, Message.ToServer message) {
        switch (message) {
            case Message.Ready ready -> workerReady(worker, ready);
            case Message.Output output -> {
                if (worker.job != null && worker.job.jobId().equals(output.jobId())) {
                    worker.appendLog(output.text());
                }
            }
            case Message.Progress progress -> {
                if (worker.job != null && worker.job.jobId().equals(progress.jobId())) {
                    listener.jobProgress(progress.jobId(), progress.fraction(), progress.message());
                }
            }
            case Message.Succeeded succeeded -> jobReturned(worker, succeeded.jobId(),
                    logs -> new JobOutcome.Succeeded(succeeded.jobId(), succeeded.result(), logs, worker.pid));
            case Message.Retiring retiring -> {
                if (worker.job == null || !worker.job.jobId().equals(retiring.jobId())) {
                    break;
                }
                if (settings.retireOnLeftoverThreads()) {
                    worker.retiring = retiring.reason();
                } else {
                    log.debug("Worker {} (pid {}) keeps running jobs although {} (retire-on-leftover-threads is off)",
                            worker.id, worker.pid, retiring.reason());
                }
            }
            case Message.Failed failed -> jobReturned(worker, failed.jobId(),
                    logs -> new JobOutcome.Failed(failed.jobId(), failed.type(), failed.message(), failed.trace(), logs, worker.pid));
        }
    }

    private void workerReady(WorkerHandle worker, Message.Ready ready) {
        if (worker.state != WorkerState.STARTING) {
            return;
        }
        String conflict = taskConflict.apply(names(ready.tasks()));
        if (conflict != null) {
            // Its jobs would go to whichever pool claimed them first: a task in two runtimes is
            // refused at start, and a worker that brings one later (a module added since) fails to boot.
            bootFailed(worker, "registered " + conflict + ", so the pool stopped it; rename the task or remove one of them", false);
            kill(worker, WorkerHandle.StopReason.BOOT_REFUSED);
            return;
        }
        Duration startup = Duration.ofNanos(System.nanoTime() - worker.spawnNanos);
        log.info("{} worker {} (pid {}) ready in {} ms", launcher.runtime(), worker.id, worker.pid, startup.toMillis());
        consecutiveBootFailures = 0;
        bootError = null;
        if (settings.killLeftoverProcesses()) {
            List<ProcessTable.Entry> own = worker.processes.rememberBaseline();
            if (!own.isEmpty()) {
                log.info("Worker {} (pid {}) keeps {} process(es) its initializer started, until it stops: {}", worker.id,
                        worker.pid, own.size(), WorkerProcesses.describe(own));
            }
        }
        worker.catalogue = java.util.Set.copyOf(ready.tasks());
        if (everReady && !worker.catalogue.equals(java.util.Set.copyOf(catalogue))) {
            if (worker.spawnNanos < catalogueSpawnNanos) {
                // It read the task modules before the worker whose tasks the pool lists did.
                log.info("{} worker {} (pid {}) registered the tasks as they were before a newer worker's; replacing it",
                        launcher.runtime(), worker.id, worker.pid);
                stopGracefully(worker, WorkerHandle.StopReason.RECYCLE);
                return;
            }
            replaceOutdated(worker);
        }
        catalogue = List.copyOf(ready.tasks());
        catalogueSpawnNanos = worker.spawnNanos;
        everReady = true;
        listener.tasksRegistered(names(catalogue));
        listener.workerReady(startup);
        becomeIdle(worker);
    }

    /**
     * The task modules (Python files, plugin jars) changed since the other workers booted: a new
     * task would be sent to a worker that never imported it and fail there, a changed one would run
     * old code. Every worker runs the tasks the pool lists, so the others are replaced: idle ones
     * now, busy ones once their job ends.
     */
    private void replaceOutdated(WorkerHandle newest) {
        java.util.Set<String> now = names(newest.catalogue);
        java.util.Set<String> before = names(catalogue);
        log.info("{} worker {} (pid {}) registered other tasks than the workers started before it (added {}, removed {}, the rest"
                        + " maybe changed): the task modules changed; replacing the older workers, idle ones now, busy ones after their job",
                launcher.runtime(), newest.id, newest.pid, difference(now, before), difference(before, now));
        for (WorkerHandle worker : List.copyOf(workers.values())) {
            if (worker == newest || worker.catalogue.equals(newest.catalogue)) {
                continue;
            }
            if (worker.state == WorkerState.IDLE) {
                if (!slots.tryAcquire()) {
                    slotDebt++;
                }
                stopGracefully(worker, WorkerHandle.StopReason.RECYCLE);
            } else if (worker.state == WorkerState.BUSY) {
                worker.outdated = true;
            }
        }
    }

    /** From now on a worker whose tasks {@code conflict} finds fault with fails to boot; see {@link Pools#refuseTasksOfOtherRuntimes}. */
    void refuseTasks(java.util.function.Function<java.util.Set<String>, String> conflict) {
        this.taskConflict = conflict;
    }

    private static java.util.Set<String> names(java.util.Collection<Message.TaskInfo> tasks) {
        return tasks.stream().map(Message.TaskInfo::name).collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
    }

    private static java.util.Set<String> difference(java.util.Set<String> from, java.util.Set<String> without) {
        java.util.Set<String> left = new java.util.TreeSet<>(from);
        left.removeAll(without);
        return left;
    }

    private void jobReturned(WorkerHandle worker, String jobId, java.util.function.Function<String, JobOutcome> outcome) {
        if (worker.job == null || !worker.job.jobId().equals(jobId) || worker.stopReason != null) {
            // A worker being killed (timeout, cancel) may still get its answer out; the kill wins.
            return;
        }
        if (launcher.outputOnStderr() && !jobId.equals(worker.outputEndedFor)) {
            // The result frame overtook the last of the job's output on the stderr pipe.
            worker.unmarked = new WorkerHandle.Unmarked(jobId, outcome, System.nanoTime());
            return;
        }
        worker.unmarked = null;
        Assignment job = worker.job;
        worker.job = null;
        boolean mayHaveLeftovers = settings.killLeftoverProcesses()
                && !forks.nothingForked(worker.forksAtJobStart, ForkCounter.read());
        List<ProcessTable.Entry> leftovers = mayHaveLeftovers ? worker.processes.leftovers() : List.of();
        if (leftovers.isEmpty()) {
            jobDone(worker, outcome.apply(worker.takeLogs()));
            return;
        }
        // The worker stays BUSY without a job until they are gone; the outcome waits with it.
        String terminating = "terminating (SIGTERM, then SIGKILL after " + settings.killGrace().toMillis() + " ms if still running)";
        report(worker, job, leftovers, "the task left running; " + terminating);
        worker.pendingReturn = new WorkerHandle.PendingReturn(job, outcome,
                TreeKill.start(worker.processes, false, leftovers, System.nanoTime() + settings.killGrace().toNanos(),
                        (found, forced) -> report(worker, job, found, "the task's processes started meanwhile; "
                                + (forced ? "killing (SIGKILL)" : terminating))));
    }

    /** What a worker wrote to its stderr: a running job's output, or the worker's own, which the server logs line by line. */
    private void stderrText(WorkerHandle worker, String jobId, String text) {
        if (jobId != null && worker.job != null && worker.job.jobId().equals(jobId)) {
            worker.appendLog(text);
            return;
        }
        StringBuilder own = worker.ownOutput;
        own.append(text);
        int from = 0;
        for (int newline = own.indexOf("\n"); newline >= 0; newline = own.indexOf("\n", from)) {
            log.info("[worker {} pid {}] {}", worker.id, worker.pid, own.substring(from, newline));
            from = newline + 1;
        }
        own.delete(0, from);
        if (own.length() > TAIL_LINE_CHARS) {
            flushOwnOutput(worker);
        }
    }

    /** Logs what the worker wrote of its own without a final newline. */
    private static void flushOwnOutput(WorkerHandle worker) {
        if (!worker.ownOutput.isEmpty()) {
            log.info("[worker {} pid {}] {}", worker.id, worker.pid, worker.ownOutput);
            worker.ownOutput.setLength(0);
        }
    }

    /** Everything {@code jobId}'s processes wrote before it ended has been read: its outcome may go. */
    private void outputEnded(WorkerHandle worker, String jobId) {
        worker.outputEndedFor = jobId;
        WorkerHandle.Unmarked waiting = worker.unmarked;
        if (waiting != null && waiting.jobId().equals(jobId)) {
            jobReturned(worker, jobId, waiting.outcome());
        }
    }

    /** Lets an outcome go without the end of its output, once it has waited long enough or the worker is gone. */
    private void releaseUnmarked(WorkerHandle worker, String why) {
        WorkerHandle.Unmarked waiting = worker.unmarked;
        log.debug("Job {} on worker {} (pid {}): the end of its output was not read ({}); finishing it with the log as it is",
                waiting.jobId(), worker.id, worker.pid, why);
        outputEnded(worker, waiting.jobId());
    }

    private void jobDone(WorkerHandle worker, JobOutcome outcome) {
        listener.jobFinished(outcome);
        worker.tasksCompleted++;
        WorkerHandle.StopReason retire = retirementReason(worker);
        if (retire != null) {
            stopGracefully(worker, retire);
        } else {
            becomeIdle(worker);
        }
    }

    /** Why a worker that just finished a job should go, or {@code null} to keep it. */
    private WorkerHandle.StopReason retirementReason(WorkerHandle worker) {
        if (draining) {
            return WorkerHandle.StopReason.SHUTDOWN;
        }
        if (liveWorkers() > size) {
            return WorkerHandle.StopReason.RESIZE;
        }
        if (worker.retiring != null) {
            log.info("Worker {} (pid {}) finished its job, but {}; replacing it, so that nothing they print reaches another job's log",
                    worker.id, worker.pid, worker.retiring);
            return WorkerHandle.StopReason.THREADS;
        }
        if (worker.outdated) {
            log.info("Worker {} (pid {}) finished its job; replacing it, as its tasks are older than the pool's", worker.id, worker.pid);
            return WorkerHandle.StopReason.RECYCLE;
        }
        if (worker.taskLimit > 0 && worker.tasksCompleted >= worker.taskLimit) {
            log.info("Worker {} (pid {}) ran {} jobs, its limit; recycling it", worker.id, worker.pid, worker.tasksCompleted);
            return WorkerHandle.StopReason.RECYCLE;
        }
        if (settings.maxWorkerRssBytes() > 0) {
            Long rss = ProcessMemory.rssBytes(worker.pid);
            if (rss != null && rss > settings.maxWorkerRssBytes()) {
                log.info("Worker {} (pid {}) uses {} bytes resident, above max-worker-rss {}; recycling it",
                        worker.id, worker.pid, rss, settings.maxWorkerRssBytes());
                return WorkerHandle.StopReason.MEMORY;
            }
        }
        return null;
    }

    private void becomeIdle(WorkerHandle worker) {
        worker.state = WorkerState.IDLE;
        if (draining) {
            stopGracefully(worker, WorkerHandle.StopReason.SHUTDOWN);
            return;
        }
        Assignment waiting = backlog.pollFirst();
        if (waiting != null) {
            run(worker, waiting);
        }
        // Either a worker is free or a backlog place is: one more job may be claimed.
        freeSlot();
    }

    private void freeSlot() {
        if (slotDebt > 0) {
            // A permit handed out for a worker that died meanwhile was never taken back; this is it.
            slotDebt--;
        } else {
            slots.release();
        }
    }

    private void assign(Assignment assignment) {
        if (draining) {
            listener.jobFinished(new JobOutcome.Interrupted(assignment.jobId(), "", 0));
            return;
        }
        Optional<WorkerHandle> idle = workers.values().stream().filter(w -> w.state == WorkerState.IDLE).findFirst();
        if (idle.isPresent()) {
            run(idle.get(), assignment);
        } else {
            backlog.addLast(assignment);
        }
    }

    private void run(WorkerHandle worker, Assignment assignment) {
        worker.state = WorkerState.BUSY;
        worker.job = assignment;
        worker.logs = new JobLog(settings.maxLogBytes());
        worker.forgetStderr();
        worker.jobDeadlineNanos = System.nanoTime() + assignment.timeout().toNanos();
        worker.forksAtJobStart = settings.killLeftoverProcesses() ? ForkCounter.read() : OptionalLong.empty();
        log.debug("Job {} RUNNING: task {} on worker {} (pid {}), attempt {}", assignment.jobId(), assignment.task(), worker.id,
                worker.pid, assignment.attempt());
        // If the send fails the worker is dying; its exit event reports the job as lost.
        worker.send(new Message.Run(assignment.jobId(), assignment.task(), assignment.args(), assignment.kwargs(), assignment.attempt(),
                assignment.chunk(), assignment.previous()));
        listener.jobStarted(assignment.jobId(), worker.pid);
    }

    private boolean killJob(String jobId, WorkerHandle.StopReason reason) {
        for (WorkerHandle worker : workers.values()) {
            if (worker.job != null && worker.job.jobId().equals(jobId)) {
                if (worker.stopReason == null) {
                    log.info("Killing worker {} (pid {}) running job {}: {}", worker.id, worker.pid, jobId, reason);
                    kill(worker, reason);
                }
                return true;
            }
        }
        boolean queued = backlog.removeIf(a -> a.jobId().equals(jobId));
        if (queued) {
            // Its backlog place is free: without this, each cancel of a prefetched job shrank the
            // node's claims by one for good (a terminate took the whole prefetch).
            freeSlot();
            listener.jobFinished(new JobOutcome.Cancelled(jobId, "", 0));
        }
        return queued;
    }

    // ---------------------------------------------------------------- exits

    /** Its frame reader killed the worker (SIGKILL): its exit is the pool's doing, not the job's. */
    private void protocolBroken(WorkerHandle worker, String error) {
        worker.protocolError = error;
        // A booting worker that breaks the protocol stays a boot failure, which backs off.
        if (worker.stopReason == null && worker.state != WorkerState.STARTING) {
            worker.state = WorkerState.STOPPING;
            worker.stopReason = WorkerHandle.StopReason.PROTOCOL;
        }
    }

    private void handleExit(WorkerHandle worker, int exitCode) {
        if (worker.unmarked != null && workers.containsKey(worker.id)) {
            // It returned before it exited: the outcome stands, as if its mark had been read.
            releaseUnmarked(worker, "the worker exited");
        }
        if (workers.remove(worker.id) == null) {
            return;
        }
        flushOwnOutput(worker);
        worker.stopSending();
        WorkerState previous = worker.state;
        if (previous == WorkerState.IDLE && !slots.tryAcquire()) {
            // The permit is already with the dispatcher: the job it brings waits in the backlog,
            // and the next worker to become idle does not hand out a new one.
            slotDebt++;
        }
        String description = ExitCodes.describe(exitCode);
        String hint = ExitCodes.hint(exitCode, worker.memoryError());
        reapLeftBehind(worker);
        if (worker.pendingReturn != null) {
            // The job had returned; only its leftovers were being killed, now with the rest of the tree.
            listener.jobFinished(worker.pendingReturn.outcome().apply(worker.takeLogs()));
            worker.pendingReturn = null;
        }
        if (previous == WorkerState.STARTING && worker.stopReason == null) {
            bootFailed(worker, worker.protocolError != null
                    ? "broke the protocol (" + worker.protocolError + ") before it was ready, so the pool killed it"
                    : description + hint + " before it was ready");
            return;
        }
        if (worker.stopReason == WorkerHandle.StopReason.BOOT_TIMEOUT) {
            // Counted and reported as a boot failure when the pool killed it (murderOverdue).
            log.info("Worker {} (pid {}) stopped (not ready within {} s), {}", worker.id, worker.pid,
                    seconds(settings.bootTimeout()), description);
            return;
        }
        if (worker.stopReason == WorkerHandle.StopReason.BOOT_REFUSED) {
            // Counted and reported as a boot failure when the pool refused its tasks (workerReady).
            log.info("Worker {} (pid {}) stopped (its tasks were refused), {}", worker.id, worker.pid, description);
            return;
        }
        if (worker.job != null) {
            listener.jobFinished(outcomeOfLostJob(worker, description + " while running the job" + hint));
            worker.job = null;
        }
        String reason = restartReason(worker, exitCode);
        if (reason != null) {
            listener.workerRestarted(reason);
        }
        if (worker.stopReason == null) {
            log.warn("Worker {} (pid {}) {} {}{}; starting a replacement", worker.id, worker.pid, description,
                    previous == WorkerState.BUSY ? "while running a job" : "while idle", hint);
        } else {
            log.info("Worker {} (pid {}) stopped ({}), {}", worker.id, worker.pid, worker.stopReason.name().toLowerCase(), description);
        }
    }

    /**
     * The worker is gone; what its tree still holds (orphans in its session, marked daemons) gets
     * SIGTERM, or SIGKILL if the worker's own kill was already past its grace, and SIGKILL after the grace.
     */
    private void reapLeftBehind(WorkerHandle worker) {
        List<ProcessTable.Entry> left = worker.processes.members();
        if (left.isEmpty()) {
            return;
        }
        Assignment job = jobOf(worker);
        String what = "left running by worker " + worker.id + " (pid " + worker.pid + ") when it exited; killing";
        report(worker, job, left, what);
        long deadline = worker.forceKillAtNanos != 0 ? worker.forceKillAtNanos : System.nanoTime() + settings.killGrace().toNanos();
        reaping.add(TreeKill.start(worker.processes, true, left, deadline, (found, forced) -> report(worker, job, found, what)));
        TreeKill pending = worker.pendingReturn != null ? worker.pendingReturn.kill() : null;
        if (pending != null && !(pending.forced() && pending.due(System.nanoTime()))) {
            // One the pool gave up on (why the worker was stopped) was logged then; the reap above
            // takes what is left of it.
            reaping.add(pending);
        }
    }

    /** The job whose processes the worker's tree holds: the running one, or one that returned and waits for its leftovers. */
    private static Assignment jobOf(WorkerHandle worker) {
        return worker.job != null ? worker.job : worker.pendingReturn != null ? worker.pendingReturn.job() : null;
    }

    /**
     * Says which processes of a job are being killed: in the server's log, in the job's log (if a
     * job is attributed and its log is still being collected) and in
     * {@code jobpool_leftover_processes_killed_total}. Each process is reported once.
     */
    private void report(WorkerHandle worker, Assignment job, List<ProcessTable.Entry> found, String what) {
        List<ProcessTable.Entry> fresh = worker.processes.unreported(found);
        if (fresh.isEmpty()) {
            return;
        }
        String list = WorkerProcesses.describe(fresh);
        String jobText = job == null ? "no job" : "job " + job.jobId();
        log.info("Worker {} (pid {}), {}: {} process(es) {}: {}", worker.id, worker.pid, jobText, fresh.size(), what, list);
        if (job != null) {
            worker.appendLog("[jobpool] " + fresh.size() + " process(es) " + what + ": " + list + "\n");
            listener.leftoverProcessesKilled(job.task(), fresh.size());
        }
    }

    private JobOutcome outcomeOfLostJob(WorkerHandle worker, String description) {
        Assignment job = worker.job;
        String logs = worker.takeLogs();
        if (worker.stopReason == WorkerHandle.StopReason.PROTOCOL) {
            // The pool killed it: its exit code (SIGKILL's) says nothing about the job.
            String tail = worker.stderrTail();
            return new JobOutcome.Failed(job.jobId(), "WorkerLostError",
                    "worker pid " + worker.pid + " broke the protocol while running the job (" + worker.protocolError
                            + "); the pool killed it",
                    tail.isEmpty() ? null : tail, logs, worker.pid);
        }
        if (worker.stopReason == null) {
            String tail = worker.stderrTail();
            return new JobOutcome.Failed(job.jobId(), "WorkerLostError",
                    "worker pid " + worker.pid + " " + description,
                    tail.isEmpty() ? null : tail, logs, worker.pid);
        }
        return switch (worker.stopReason) {
            case TIMEOUT -> new JobOutcome.Failed(job.jobId(), "TimeoutError",
                    "job exceeded its timeout of " + seconds(job.timeout()) + " s; worker pid " + worker.pid + " was killed",
                    null, logs, worker.pid);
            case CANCEL -> new JobOutcome.Cancelled(job.jobId(), logs, worker.pid);
            default -> new JobOutcome.Interrupted(job.jobId(), logs, worker.pid);
        };
    }

    private static String restartReason(WorkerHandle worker, int exitCode) {
        if (worker.stopReason == null) {
            return "crashed";
        }
        return switch (worker.stopReason) {
            case TIMEOUT -> "timeout";
            case CANCEL -> "cancelled";
            case RECYCLE -> "recycled";
            case MEMORY -> "memory";
            case THREADS -> "threads";
            case PROTOCOL -> "crashed";
            case SHUTDOWN, RESIZE, BOOT_TIMEOUT, BOOT_REFUSED -> null;
        };
    }

    /** @param description what happened to the worker: "exited with code 78 before it was ready" */
    private void bootFailed(WorkerHandle worker, String description) {
        bootFailed(worker, description, true);
    }

    /**
     * @param withOutput whether the worker's last stderr lines explain the failure (a traceback); not
     *     when the pool refused a worker that booted fine, whose output (an initializer's print) would
     *     read as part of the reason
     */
    private void bootFailed(WorkerHandle worker, String description, boolean withOutput) {
        consecutiveBootFailures++;
        Duration backoff = BOOT_BACKOFF_START.multipliedBy(1L << Math.min(consecutiveBootFailures - 1, 16));
        if (backoff.compareTo(settings.bootBackoffMax()) > 0) {
            backoff = settings.bootBackoffMax();
        }
        nextSpawnAllowedNanos = System.nanoTime() + backoff.toNanos();
        String tail = withOutput ? worker.stderrTail() : "";
        bootError = "worker " + description + (tail.isEmpty() ? "" : ": " + tail);
        listener.workerRestarted("boot_failure");
        log.error("Worker {} (pid {}) could not boot ({} in a row); next attempt in {} ms. {}", worker.id, worker.pid,
                consecutiveBootFailures, backoff.toMillis(), bootError);
    }

    // ---------------------------------------------------------------- checklist

    /** Kills jobs past their deadline; escalates stops that did not end within the grace. */
    private void murderOverdue() {
        long now = System.nanoTime();
        for (WorkerHandle worker : List.copyOf(workers.values())) {
            if (worker.unmarked != null && now - worker.unmarked.sinceNanos() > OUTPUT_MARK_WAIT.toNanos()) {
                releaseUnmarked(worker, "not within " + OUTPUT_MARK_WAIT.toMillis() + " ms");
            }
            if (worker.stopReason == null && worker.job != null && worker.unmarked == null && now - worker.jobDeadlineNanos > 0) {
                log.warn("Job {} on worker {} (pid {}) exceeded its timeout of {} s; killing the worker",
                        worker.job.jobId(), worker.id, worker.pid, seconds(worker.job.timeout()));
                kill(worker, WorkerHandle.StopReason.TIMEOUT);
            } else if (worker.stopReason == null && worker.state == WorkerState.STARTING
                    && now - worker.spawnNanos > settings.bootTimeout().toNanos()) {
                log.warn("Worker {} (pid {}) not ready after {} s; killing it", worker.id, worker.pid, seconds(settings.bootTimeout()));
                // A boot failure from now: the back-off applies to its replacement, which must not
                // start while this one is still in its kill grace.
                bootFailed(worker, "was not ready within " + seconds(settings.bootTimeout()) + " s of its start (still "
                        + bootingWhat() + "), so the pool killed it");
                kill(worker, WorkerHandle.StopReason.BOOT_TIMEOUT);
            } else if (worker.forceKillAtNanos != 0 && now - worker.forceKillAtNanos > 0 && worker.process.isAlive()) {
                log.warn("Worker {} (pid {}) did not exit within {} ms; killing it and its processes forcibly", worker.id,
                        worker.pid, settings.killGrace().toMillis());
                forceKill(worker);
                worker.forceKillAtNanos = 0;
            }
        }
        if (draining && now - drainDeadlineNanos > 0) {
            for (WorkerHandle worker : workers.values()) {
                if (worker.job != null && worker.stopReason == null) {
                    log.warn("Shutdown grace over: killing worker {} (pid {}); job {} goes back to the queue",
                            worker.id, worker.pid, worker.job.jobId());
                    kill(worker, WorkerHandle.StopReason.SHUTDOWN);
                }
            }
        }
    }

    /**
     * Reports the jobs whose leftover processes are gone, escalating to SIGKILL those past the
     * grace; the same for what exited workers left behind.
     */
    private void finishKills() {
        long now = System.nanoTime();
        for (WorkerHandle worker : List.copyOf(workers.values())) {
            WorkerHandle.PendingReturn pending = worker.pendingReturn;
            if (pending == null || worker.stopReason != null) {
                // Being stopped (below): its exit reports the outcome, once its tree is being reaped.
                continue;
            }
            TreeKill kill = pending.kill();
            if (kill.finished()) {
                worker.pendingReturn = null;
                jobDone(worker, pending.outcome().apply(worker.takeLogs()));
            } else if (!kill.due(now)) {
                continue;
            } else if (!kill.forced()) {
                kill.force(settings.killGrace());
                log.warn("Job {}: leftover processes still running {} ms after SIGTERM, or still forking; killed with SIGKILL",
                        pending.job().jobId(), settings.killGrace().toMillis());
                worker.appendLog("[jobpool] still running after SIGTERM, or still forking: killed with SIGKILL\n");
            } else {
                // Processes that survive SIGKILL (stuck in the kernel) or fork as fast as they are
                // killed. The worker does not take another job with them in its session: they would
                // be found when that job ends and blamed on its task, and a fork bomb would starve
                // it. Waiting longer promises nothing, so the worker is killed with its whole tree
                // (the reap of an exited worker chases it further, bounded the same way) and a
                // fresh one replaces it; the job's outcome, whatever the task returned, is reported
                // once the worker has exited. "recycled" in the restart metric: no new label for a
                // case this rare.
                List<ProcessTable.Entry> left = kill.running();
                log.error("Job {}: processes of its task still running after SIGKILL (stuck in the kernel, or forking as fast as"
                        + " they are killed): {}; killing worker {} (pid {}) with its tree and replacing it",
                        pending.job().jobId(), WorkerProcesses.describe(left), worker.id, worker.pid);
                worker.appendLog("[jobpool] " + left.size() + " process(es) still running after SIGKILL: "
                        + WorkerProcesses.describe(left) + "; the worker is killed with them and replaced\n");
                kill(worker, WorkerHandle.StopReason.RECYCLE);
            }
        }
        reaping.removeIf(kill -> {
            if (kill.finished()) {
                return true;
            }
            if (!kill.due(now)) {
                return false;
            }
            if (!kill.forced()) {
                kill.force(settings.killGrace());
                return false;
            }
            // The worker is gone already and its replacement has a session and marker of its own,
            // so nothing of this is blamed on a later job; there is nothing left to retire.
            log.error("Processes {} still running after SIGKILL (stuck in the kernel, or forking as fast as they are killed);"
                    + " no longer waiting for them", WorkerProcesses.describe(kill.running()));
            return true;
        });
    }

    /** Starts workers until the pool has {@code size} live ones, unless boots are backing off. */
    private void manageWorkers() {
        spawnPending = false;
        if (draining) {
            return;
        }
        long booting = workers.values().stream().filter(w -> w.stopReason == null && w.state == WorkerState.STARTING).count();
        long live = liveWorkers();
        for (int spawned = 0; live < size && booting < MAX_BOOTING; live++, booting++, spawned++) {
            if (spawned == SPAWNS_PER_ROUND) {
                spawnPending = true;
                return;
            }
            if (consecutiveBootFailures > 0 && (booting > 0 || System.nanoTime() - nextSpawnAllowedNanos < 0)) {
                // While boots fail, one worker at a time: the next only once this one's boot has
                // ended and its back-off has passed, not one per round of the loop.
                return;
            }
            if (!spawn() || consecutiveBootFailures > 0) {
                // While boots fail, try one worker at a time rather than a herd.
                return;
            }
        }
    }

    private long liveWorkers() {
        return workers.values().stream().filter(w -> w.stopReason == null).count();
    }

    private boolean spawn() {
        String id = launcher.workerIdPrefix() + nextWorkerNumber++;
        long spawnNanos = System.nanoTime();
        String marker = markerPrefix + "-" + id;
        Process process;
        try {
            OptionalLong forksBefore = ForkCounter.read();
            process = launcher.launch(marker);
            forks.sawFork(forksBefore, ForkCounter.read());
        } catch (IOException e) {
            consecutiveBootFailures++;
            nextSpawnAllowedNanos = System.nanoTime() + settings.bootBackoffMax().toNanos() / 4;
            bootError = "cannot start worker process: " + e.getMessage();
            log.error("Cannot start worker process ({}); retrying later", e.getMessage());
            return false;
        }
        int limit = settings.maxTasksPerWorker() <= 0 ? 0
                : settings.maxTasksPerWorker() + ThreadLocalRandom.current().nextInt(settings.maxTasksPerWorkerJitter() + 1);
        WorkerHandle worker = new WorkerHandle(id, process, marker, clock.instant(), spawnNanos, limit,
                launcher.outputOnStderr() ? OutputMarks.newToken() : null);
        workers.put(id, worker);
        // Platform threads, never virtual: a read from a process pipe blocks in native code and
        // pins its carrier, so two idle workers would pin both carriers of a 2-CPU server and no
        // request (Tomcat's threads are virtual) would ever be scheduled again. ArchitectureTest
        // keeps the pool and the worker side free of virtual threads.
        Thread stderr = Thread.ofPlatform().daemon().name("jobpool-" + id + "-stderr").start(() -> drainStderr(worker));
        Thread.ofPlatform().daemon().name("jobpool-" + id + "-frames").start(() -> readFrames(worker, stderr));
        Thread.ofPlatform().daemon().name("jobpool-" + id + "-sender").start(worker::sendLoop);
        worker.send(worker.outputToken == null ? settings.init() : settings.init().withOutputToken(worker.outputToken));
        return true;
    }

    private void applyResize(int newSize) {
        if (newSize == size) {
            return;
        }
        log.info("Resizing worker pool from {} to {}", size, newSize);
        size = newSize;
        for (WorkerHandle worker : List.copyOf(workers.values())) {
            if (liveWorkers() <= size) {
                break;
            }
            if (worker.state == WorkerState.IDLE || worker.state == WorkerState.STARTING) {
                if (worker.state == WorkerState.IDLE && !slots.tryAcquire()) {
                    slotDebt++;
                }
                stopGracefully(worker, WorkerHandle.StopReason.RESIZE);
            }
        }
        // Busy workers beyond the size retire when their job ends (see retirementReason).
    }

    private void beginShutdown(Duration grace, CompletableFuture<Void> done) {
        log.info("{} worker pool shutting down: {} running job(s) get {} s to finish", launcher.runtime(), countBusy(), seconds(grace));
        draining = true;
        stopped = done;
        drainDeadlineNanos = System.nanoTime() + grace.toNanos();
        slots.drainPermits();
        for (Assignment waiting : backlog) {
            listener.jobFinished(new JobOutcome.Interrupted(waiting.jobId(), "", 0));
        }
        backlog.clear();
        for (WorkerHandle worker : List.copyOf(workers.values())) {
            if (worker.job == null) {
                stopGracefully(worker, WorkerHandle.StopReason.SHUTDOWN);
            }
        }
    }

    private long countBusy() {
        return workers.values().stream().filter(w -> w.job != null).count();
    }

    /** Asks the worker to exit after its current job; killed if it has not within the grace. */
    private void stopGracefully(WorkerHandle worker, WorkerHandle.StopReason reason) {
        worker.state = WorkerState.STOPPING;
        worker.stopReason = reason;
        worker.send(new Message.Shutdown());
        worker.forceKillAtNanos = System.nanoTime() + settings.killGrace().toNanos();
    }

    /**
     * Two-stage kill like gunicorn: SIGTERM now to the worker and every process of its tree, SIGKILL
     * after the grace ({@link #forceKill}).
     */
    private void kill(WorkerHandle worker, WorkerHandle.StopReason reason) {
        worker.state = WorkerState.STOPPING;
        worker.stopReason = reason;
        List<ProcessTable.Entry> members = worker.processes.members();
        report(worker, jobOf(worker), members, "killed with the worker (SIGTERM, then SIGKILL after " + settings.killGrace().toMillis()
                + " ms if still running)");
        // Through its handle: Process.destroy() also closes this side's pipes, so the frame reader
        // failed with "Stream closed" (logged as a protocol error, answered with SIGKILL inside the
        // kill grace) and the last stderr lines were lost. The pipes end when the process does.
        worker.process.toHandle().destroy();
        ProcessTree.signal(members, false);
        worker.forceKillAtNanos = System.nanoTime() + settings.killGrace().toNanos();
    }

    /** SIGKILL to the worker and to its tree as it is now, including what was forked since the SIGTERM. */
    private void forceKill(WorkerHandle worker) {
        List<ProcessTable.Entry> members = worker.processes.members();
        report(worker, jobOf(worker), members, "killed with the worker (SIGKILL)");
        worker.process.toHandle().destroyForcibly();
        ProcessTree.signal(members, true);
    }

    private void publish() {
        List<PoolSnapshot.WorkerInfo> infos = new ArrayList<>(workers.size());
        workers.values().forEach(w -> infos.add(w.info()));
        snapshot = new PoolSnapshot(size, !draining, List.copyOf(infos), bootError, catalogue, everReady, slowBoot());
    }

    /**
     * While no worker is ready: which one has been booting for a while, so that a readiness probe
     * that stays down (a hanging initializer) says why before the boot timeout.
     */
    private String slowBoot() {
        if (workers.values().stream().anyMatch(w -> w.state == WorkerState.IDLE || w.state == WorkerState.BUSY)) {
            return null;
        }
        Duration slow = SLOW_BOOT.compareTo(settings.bootTimeout().dividedBy(2)) < 0 ? SLOW_BOOT : settings.bootTimeout().dividedBy(2);
        long now = System.nanoTime();
        for (WorkerHandle worker : workers.values()) {
            long booting = now - worker.spawnNanos;
            if (worker.state == WorkerState.STARTING && worker.stopReason == null && booting > slow.toNanos()) {
                return "worker " + worker.id + " (pid " + worker.pid + ") not ready yet after " + TimeUnit.NANOSECONDS.toSeconds(booting)
                        + " s: still " + bootingWhat() + "; it is killed if not ready within " + seconds(settings.bootTimeout()) + " s";
            }
        }
        return null;
    }

    /** What a worker that is not ready yet is doing, as far as the pool knows. */
    private String bootingWhat() {
        String initializer = settings.init().initializer();
        return initializer == null || initializer.isBlank() ? "booting" : "booting or running the initializer '" + initializer + "'";
    }

    private static String seconds(Duration duration) {
        return java.math.BigDecimal.valueOf(duration.toMillis(), 3).stripTrailingZeros().toPlainString();
    }

    // ---------------------------------------------------------------- per-worker threads (post only)

    private void readFrames(WorkerHandle worker, Thread stderr) {
        DataInputStream in = FrameCodec.input(worker.process.getInputStream());
        try {
            while (true) {
                Message message = FrameCodec.read(in);
                if (message instanceof Message.ToServer toServer) {
                    post(new PoolEvent.FrameReceived(worker, toServer));
                }
            }
        } catch (EOFException closed) {
            // Normal end: the process is exiting.
        } catch (IOException e) {
            log.error("Worker {} (pid {}) broke the protocol ({}); killing it", worker.id, worker.pid, e.getMessage());
            // Posted before the kill, so the supervisor knows why before it sees the exit.
            post(new PoolEvent.ProtocolBroken(worker, e.getMessage()));
            worker.process.destroyForcibly();
        }
        int exitCode;
        while (true) {
            try {
                exitCode = worker.process.waitFor();
                break;
            } catch (InterruptedException e) {
                // Keep waiting: the exit event must be posted or the job would wait forever.
            }
        }
        // What the worker wrote last on stderr says why it exited (a boot failure's traceback, a
        // crash): let the drain read it first. Bounded: a process the task left behind may hold
        // stderr open.
        try {
            stderr.join(STDERR_AFTER_EXIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        post(new PoolEvent.WorkerExited(worker, exitCode));
    }

    /**
     * Reads the worker's stderr ({@link StderrReader}): text goes to the supervisor, which puts a
     * job's text in that job's log and logs the rest; each job's end mark is passed on. Whole lines
     * are also kept as the stderr tail that explains an exit (cut at {@link #TAIL_LINE_CHARS}).
     */
    private void drainStderr(WorkerHandle worker) {
        StringBuilder line = new StringBuilder();
        StderrReader reader = new StderrReader(worker.outputToken, new StderrReader.Listener() {
            /** Characters the worker wrote outside any job since a job last began or ended. */
            private long own;

            @Override
            public void text(String jobId, String text) {
                if (jobId != null) {
                    own = 0;
                    post(new PoolEvent.StderrText(worker, jobId, text));
                } else {
                    // What a worker writes of its own goes to the server's log: a flood there (a process a job left
                    // behind, a thread still printing) must not fill the log nor hold the supervisor, which serves every worker.
                    long room = OWN_OUTPUT_LOGGED - own;
                    own += text.length();
                    if (room >= text.length()) {
                        post(new PoolEvent.StderrText(worker, null, text));
                    } else if (room >= 0) {
                        post(new PoolEvent.StderrText(worker, null, text.substring(0, (int) room) + "\n[jobpool: the worker wrote more than "
                                + OWN_OUTPUT_LOGGED / 1024 + " KiB outside any job; the rest is not logged until its next job begins]\n"));
                    }
                }
                for (int i = 0; i < text.length(); i++) {
                    char c = text.charAt(i);
                    if (c == '\n') {
                        worker.rememberStderr(line.toString());
                        line.setLength(0);
                    } else if (line.length() < TAIL_LINE_CHARS) {
                        line.append(c);
                    }
                }
            }

            @Override
            public void ended(String jobId) {
                own = 0;
                post(new PoolEvent.OutputEnded(worker, jobId));
            }
        });
        try {
            reader.readAll(worker.process.getErrorStream());
        } catch (IOException e) {
            log.debug("stderr of worker {} closed: {}", worker.id, e.getMessage());
        }
        if (!line.isEmpty()) {
            worker.rememberStderr(line.toString());
        }
    }

    /** Events the supervisor handles, in arrival order. */
    sealed interface PoolEvent {
        record FrameReceived(WorkerHandle worker, Message.ToServer message) implements PoolEvent {}

        /** @param jobId the job whose output {@code text} is, or {@code null} for the worker's own */
        record StderrText(WorkerHandle worker, String jobId, String text) implements PoolEvent {}

        record OutputEnded(WorkerHandle worker, String jobId) implements PoolEvent {}

        record WorkerExited(WorkerHandle worker, int exitCode) implements PoolEvent {}

        record ProtocolBroken(WorkerHandle worker, String error) implements PoolEvent {}

        record Assign(Assignment assignment) implements PoolEvent {}

        record Cancel(String jobId, CompletableFuture<Boolean> found) implements PoolEvent {}

        record Logs(String jobId, CompletableFuture<Optional<String>> logs) implements PoolEvent {}

        record Resize(int size) implements PoolEvent {}

        record Shutdown(Duration grace, CompletableFuture<Void> done) implements PoolEvent {}
    }
}
