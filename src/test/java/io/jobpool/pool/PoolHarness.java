package io.jobpool.pool;

import io.jobpool.protocol.Message;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A real {@link WorkerPool} with real worker processes and a listener that records what it reports. */
final class PoolHarness implements PoolListener, AutoCloseable {

    final BlockingQueue<JobOutcome> outcomes = new LinkedBlockingQueue<>();
    final List<String> restarts = new CopyOnWriteArrayList<>();
    final List<Long> bootFailureNanos = new CopyOnWriteArrayList<>();
    /** The task of each leftover process the pool reported killed. */
    final List<String> leftoversKilled = new CopyOnWriteArrayList<>();
    final WorkerPool pool;

    PoolHarness(int size, int maxTasksPerWorker, long maxWorkerRssBytes, String initializer, List<String> extraJvmOptions) {
        this(size, 0, maxTasksPerWorker, maxWorkerRssBytes, initializer, extraJvmOptions);
    }

    PoolHarness(int size, int prefetch, int maxTasksPerWorker, long maxWorkerRssBytes, String initializer,
            List<String> extraJvmOptions) {
        this(size, prefetch, maxTasksPerWorker, maxWorkerRssBytes, initializer, extraJvmOptions, true);
    }

    PoolHarness(int size, int prefetch, int maxTasksPerWorker, long maxWorkerRssBytes, String initializer,
            List<String> extraJvmOptions, boolean killLeftoverProcesses) {
        this(size, prefetch, maxTasksPerWorker, maxWorkerRssBytes, initializer, extraJvmOptions, killLeftoverProcesses, null,
                PoolSettings.BOOT_TIMEOUT);
    }

    /**
     * @param pluginsDir jars of test tasks for the workers' class path ({@link io.jobpool.testing.TestPlugin}), or {@code null}
     */
    PoolHarness(int size, int prefetch, int maxTasksPerWorker, long maxWorkerRssBytes, String initializer,
            List<String> extraJvmOptions, boolean killLeftoverProcesses, Path pluginsDir, Duration bootTimeout) {
        this(size, prefetch, maxTasksPerWorker, maxWorkerRssBytes, initializer, extraJvmOptions, killLeftoverProcesses, true,
                pluginsDir, bootTimeout);
    }

    /** @param retireOnLeftoverThreads {@code pool.retire-on-leftover-threads} */
    PoolHarness(int size, int prefetch, int maxTasksPerWorker, long maxWorkerRssBytes, String initializer,
            List<String> extraJvmOptions, boolean killLeftoverProcesses, boolean retireOnLeftoverThreads, Path pluginsDir,
            Duration bootTimeout) {
        Path cache = Path.of("target", "worker-cache");
        List<String> options = new ArrayList<>(List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
                "--enable-native-access=ALL-UNNAMED"));
        options.addAll(extraJvmOptions);
        WorkerLauncher launcher = new WorkerLauncher(WorkerLauncher.currentJava(), options,
                WorkerClasspath.resolve(cache, pluginsDir), cache, System.getenv(), List.of());
        PoolSettings settings = new PoolSettings(size, prefetch, maxTasksPerWorker, 0, maxWorkerRssBytes, Duration.ofSeconds(1),
                Duration.ofSeconds(2), 10_000, new Message.Init(true, initializer, initializerArgs(initializer), 1_000_000), killLeftoverProcesses, retireOnLeftoverThreads,
                bootTimeout);
        pool = new WorkerPool(launcher, settings, this, Clock.systemUTC());
        pool.start();
    }

    @Override
    public void jobFinished(JobOutcome outcome) {
        outcomes.add(outcome);
    }

    @Override
    public void leftoverProcessesKilled(String task, int count) {
        for (int i = 0; i < count; i++) {
            leftoversKilled.add(task);
        }
    }

    @Override
    public void workerRestarted(String reason) {
        restarts.add(reason);
        if (reason.equals("boot_failure")) {
            bootFailureNanos.add(System.nanoTime());
        }
    }

    /** Runs a job the way the dispatcher does: take a slot for an idle worker, then submit. */
    JobOutcome run(String jobId, String task, String args, Duration timeout) throws InterruptedException {
        if (!pool.slots().tryAcquire(30, TimeUnit.SECONDS)) {
            throw new AssertionError("no idle worker within 30 s; pool: " + pool.snapshot());
        }
        pool.submit(new Assignment(jobId, task, args, "{}", 1, timeout));
        JobOutcome outcome = outcomes.poll(30, TimeUnit.SECONDS);
        if (outcome == null) {
            throw new AssertionError("no outcome for " + jobId + " within 30 s");
        }
        return outcome;
    }

    Long pidOf(String jobId) {
        return pool.snapshot().workers().stream().filter(w -> jobId.equals(w.jobId())).map(PoolSnapshot.WorkerInfo::pid)
                .findFirst().orElse(null);
    }

    @Override
    public void close() throws Exception {
        pool.shutdown(Duration.ofSeconds(1)).get(20, TimeUnit.SECONDS);
    }

    /** Seconds for {@code sleep}, a message for {@code fail}; {@code hang} takes no argument, as Python's would refuse one. */
    private static String initializerArgs(String initializer) {
        return "hang".equals(initializer) ? "[]" : "[0.01]";
    }
}
