package io.jobpool.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Records the metrics named in the design. Labels are task names, outcomes, states and reasons:
 * never job ids, so cardinality stays bounded by the number of registered tasks.
 */
public final class JobMetrics {

    /**
     * The top of the run time and queue wait histograms: a day, the default {@code
     * jobs.max-timeout}. At an hour, every longer job landed in +Inf and the dashboards' quantiles
     * could never show more than an hour.
     */
    private static final Duration LONGEST = Duration.ofDays(1);

    private final MeterRegistry registry;

    public JobMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The outcomes of {@code jobpool_jobs_completed_total}: a job's final state. */
    public static final List<String> OUTCOMES = List.of("succeeded", "failed", "cancelled");

    /** {@code jobpool_jobs_submitted_total{task}}. */
    public void submitted(String task) {
        submittedCounter(task).increment();
    }

    /** {@code jobpool_jobs_completed_total{task,outcome}} and, when it ran, the run time histogram. */
    public void completed(String task, String outcome, Duration runTime) {
        completedCounter(task, outcome).increment();
        if (runTime != null) {
            durationTimer(task).record(runTime);
        }
    }

    /** {@code jobpool_job_queue_wait_seconds}: from due time to claim. */
    public void queueWait(String task, Duration wait) {
        queueWaitTimer(task).record(wait.isNegative() ? Duration.ZERO : wait);
    }

    /**
     * A pool's workers registered these tasks: each task's series exist from now on, at zero, so a
     * fresh server shows every metric the design names, and a rate or an {@code absent()} alert
     * over them works before the first job (they appeared only with the first job of each task).
     */
    public void tasksRegistered(java.util.Collection<String> tasks) {
        for (String task : tasks) {
            submittedCounter(task);
            OUTCOMES.forEach(outcome -> completedCounter(task, outcome));
            durationTimer(task);
            queueWaitTimer(task);
            leftoverCounter(task);
        }
    }

    /** {@code jobpool_worker_restarts_total{runtime,reason}}. */
    public void workerRestarted(String runtime, String reason) {
        restartCounter(runtime, reason).increment();
    }

    /** The restart series of a runtime's pool, at zero until a worker is replaced for that reason. */
    public void restartReasons(String runtime, java.util.Collection<String> reasons) {
        reasons.forEach(reason -> restartCounter(runtime, reason));
    }

    private Counter submittedCounter(String task) {
        return Counter.builder("jobpool.jobs.submitted").description("Jobs accepted: by POST /v1/jobs, and the chunk jobs of batches")
                .tag("task", task).register(registry);
    }

    private Counter completedCounter(String task, String outcome) {
        return Counter.builder("jobpool.jobs.completed").description("Jobs that reached a final state")
                .tag("task", task).tag("outcome", outcome).register(registry);
    }

    private Timer durationTimer(String task) {
        return histogram("jobpool.job.duration", "Time a job ran on a worker", task);
    }

    private Timer queueWaitTimer(String task) {
        return histogram("jobpool.job.queue.wait", "Time a due job waited in the queue for a worker", task);
    }

    private Timer histogram(String name, String description, String task) {
        return Timer.builder(name).description(description).tag("task", task).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(LONGEST).register(registry);
    }

    private Counter restartCounter(String runtime, String reason) {
        return Counter.builder("jobpool.worker.restarts").description("Worker processes replaced, by reason")
                .tag("runtime", runtime).tag("reason", reason).register(registry);
    }

    /** {@code jobpool_leftover_processes_killed_total{task}}: processes a job started, left running and the pool killed. */
    public void leftoverProcessesKilled(String task, int count) {
        leftoverCounter(task).increment(count);
    }

    private Counter leftoverCounter(String task) {
        return Counter.builder("jobpool.leftover.processes.killed")
                .description("Processes a job's task started that the pool killed: left running at the job's end, or with their worker")
                .tag("task", task).register(registry);
    }

    /** {@code jobpool_worker_startup_seconds{runtime}}: spawn to ready. */
    public void workerStarted(String runtime, Duration startup) {
        Timer.builder("jobpool.worker.startup").description("Time from spawning a worker process to its ready message")
                .tag("runtime", runtime).register(registry).record(startup);
    }

    /** {@code jobpool_queue_depth}. */
    public void queueDepth(java.util.function.DoubleSupplier depth) {
        // Held strongly: the gauge is the only one holding it (Micrometer keeps a weak reference by default).
        Gauge.builder("jobpool.queue.depth", depth, java.util.function.DoubleSupplier::getAsDouble).strongReference(true).description("Jobs queued and due (not those waiting for a delay or a retry's back-off)")
                .register(registry);
    }

    /** {@code jobpool_workers{runtime,state}}. */
    public <T> void workers(String runtime, String state, T source, ToDoubleFunction<T> count) {
        Gauge.builder("jobpool.workers", source, count).description("Worker processes by runtime and state")
                .tag("runtime", runtime).tag("state", state).register(registry);
    }
}
