package io.jobpool.node;

import io.jobpool.config.JobpoolProperties;
import io.jobpool.config.NodeIdentity;
import io.jobpool.job.Broadcast;
import io.jobpool.job.JobStore;
import io.jobpool.job.JobWaiters;
import io.jobpool.metrics.JobMetrics;
import io.jobpool.pool.PoolSettings;
import io.jobpool.pool.Pools;
import io.jobpool.pool.PythonLauncher;
import io.jobpool.pool.PythonRuntime;
import io.jobpool.pool.ServerPrivacy;
import io.jobpool.pool.WorkerClasspath;
import io.jobpool.pool.WorkerFiles;
import io.jobpool.pool.WorkerLauncher;
import io.jobpool.pool.WorkerPool;
import io.jobpool.pool.WorkerState;
import io.jobpool.protocol.Message;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires what belongs to this replica: its worker pool, dispatcher, leases, completion and housekeeping. */
@Configuration(proxyBeanMethods = false)
class NodeConfiguration {

    @Bean
    RunningJobs runningJobs() {
        return new RunningJobs();
    }

    @Bean
    Wakeups wakeups(Broadcast broadcast) {
        Wakeups wakeups = new Wakeups();
        broadcast.subscribe(Broadcast.Topic.JOBS_AVAILABLE, payload -> wakeups.jobsAvailable());
        broadcast.onResync(wakeups::jobsAvailable);
        return wakeups;
    }

    /**
     * Stopped by {@link PoolLifecycle}, which bounds the wait for their writes; here only
     * interrupted, as {@code close} would wait for a write retrying until the store is back.
     */
    @Bean(destroyMethod = "shutdownNow")
    ExecutorService outcomeWriters() {
        // A task that lets an exception escape is a bug: logged as one, not printed raw to stderr.
        return Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("jobpool-outcome-", 0)
                .uncaughtExceptionHandler((thread, e) -> org.slf4j.LoggerFactory.getLogger(NodeConfiguration.class)
                        .error("Uncaught failure on {}; the task it ran is abandoned", thread.getName(), e))
                .factory());
    }

    @Bean(destroyMethod = "close")
    JobCompletion jobCompletion(JobStore store, RunningJobs running, JobWaiters waiters, Wakeups wakeups,
            JobMetrics metrics, ExecutorService outcomeWriters, NodeIdentity node, JobpoolProperties properties,
            Clock clock) {
        return new JobCompletion(store, running, waiters, wakeups, metrics, outcomeWriters, node.id(),
                properties.jobs().retryBackoff(), properties.jobs().lease(), clock);
    }

    @Bean
    WorkerLauncher workerLauncher(JobpoolProperties properties) {
        // Before any worker runs: task code must not read the server's environment under /proc.
        ServerPrivacy.hideFromTasks();
        JobpoolProperties.Pool pool = properties.pool();
        Path cache = WorkerFiles.DIRECTORY;
        List<Path> classpath = WorkerClasspath.resolve(cache, pool.pluginsDir());
        String java = pool.javaCommand() != null ? pool.javaCommand() : WorkerLauncher.currentJava();
        return new WorkerLauncher(java, workerJvmOptions(pool), classpath, cache, System.getenv(), pool.workerEnv());
    }

    /**
     * Small heap and serial GC keep an idle worker small; ExitOnOutOfMemoryError turns an OOM into a
     * lost worker rather than a JVM limping on; all VM output goes to stderr, never into the
     * protocol on stdout. The native heap is trimmed every few seconds: the JIT's compiler arenas
     * are freed to malloc but not to the system, and left a worker that had run a few thousand jobs
     * 10 MB larger when idle (57 MB RSS instead of 47; {@code jcmd <pid> System.trim_native_heap}).
     *
     * <p>The AOT cache is mapped at the address it was made for ({@code ArchiveRelocationMode=0},
     * the default before JDK 20; the JVM still relocates it when that address is taken). Relocated,
     * every page of the cache is rewritten with adjusted pointers and is private to its worker:
     * 11 of its 14 MB were private dirty in each idle worker. Mapped in place, most pages stay
     * shared between workers: an idle worker's PSS fell from 28 to 22.5 MiB. What it gives up is a
     * random address for class metadata in a process that runs task code, not untrusted input.
     *
     * <p>The heap starts at 4 MB with a 1 MB young generation and grows when a task needs it: an idle
     * worker touches less of it (44.7-44.9 MB RSS instead of 45.5-45.8 after 20 jobs, measured in pairs).
     * Below 4 MB the AOT cache's archived heap objects do not fit and the cache goes unused.
     */
    static List<String> workerJvmOptions(JobpoolProperties.Pool pool) {
        List<String> options = new ArrayList<>(List.of(
                "-Xmx" + pool.workerHeap().toMegabytes() + "m",
                "-Xms4m",
                "-XX:NewSize=1m",
                "-Xss512k",
                "-XX:+UseSerialGC",
                "-XX:+UseCompactObjectHeaders",
                "-XX:+ExitOnOutOfMemoryError",
                "-XX:-UsePerfData",
                "-XX:TrimNativeHeapInterval=5000",
                "-XX:+UnlockDiagnosticVMOptions",
                "-XX:ArchiveRelocationMode=0",
                "-Dfile.encoding=UTF-8",
                "-Dstdout.encoding=UTF-8",
                "-Dstderr.encoding=UTF-8",
                // Task plugins may load native code (a JDBC driver's library, FFM calls): allowed, as
                // in the server, without a restricted-method warning in every job's log.
                "--enable-native-access=ALL-UNNAMED"));
        // "-Xss1m -Dx=y" (one string, as in JAVA_OPTS) is two options, not one property whose value
        // swallows the rest; a JVM option never holds a space of its own here.
        pool.workerJvmOptions().stream().flatMap(option -> java.util.Arrays.stream(option.strip().split("\\s+")))
                .filter(option -> !option.isEmpty()).forEach(options::add);
        return options;
    }

    /**
     * Kills what tasks of an earlier run left behind when it and its workers were killed with -9,
     * before this run's workers start; held until the pools have stopped theirs.
     */
    @Bean(destroyMethod = "close")
    io.jobpool.pool.WorkerRuns workerRuns(JobpoolProperties properties) {
        return io.jobpool.pool.WorkerRuns.hold(properties.dataDir().resolve("worker-runs"));
    }

    @Bean
    @org.springframework.context.annotation.DependsOn("workerRuns")
    WorkerPool workerPool(WorkerLauncher launcher, JobCompletion completion, JobpoolProperties properties, JobMetrics metrics,
            Clock clock) {
        JobpoolProperties.Pool pool = properties.pool();
        Message.Init init = new Message.Init(properties.tasks().diagnostics(), pool.initializer(), pool.initializerArgs(),
                properties.jobs().maxResultBytes().toBytes());
        PoolSettings settings = new PoolSettings(pool.effectiveSize(), pool.prefetch(), pool.maxTasksPerWorker(),
                pool.maxTasksPerWorkerJitter(), pool.maxWorkerRss() == null ? 0 : pool.maxWorkerRss().toBytes(),
                pool.killGrace(), pool.bootBackoffMax(), (int) Math.min(Integer.MAX_VALUE, properties.jobs().maxLogBytes().toBytes()),
                init, pool.killLeftoverProcesses(), pool.retireOnLeftoverThreads(), PoolSettings.BOOT_TIMEOUT);
        return new WorkerPool(launcher, settings, new RuntimePoolListener(launcher.runtime(), completion, metrics), clock);
    }

    /**
     * The Java pool, then the Python pool when there is a tasks directory and a size above 0. The
     * Python runtime is extracted from the jar next to the Java worker's class path cache.
     */
    @Bean
    Pools pools(WorkerPool javaPool, JobCompletion completion, JobMetrics metrics, JobpoolProperties properties, Clock clock) {
        List<WorkerPool> pools = new ArrayList<>(List.of(javaPool));
        JobpoolProperties.Python python = properties.python();
        if (python.effectiveSize() > 0) {
            JobpoolProperties.PythonPool pool = python.pool();
            Path cache = WorkerFiles.DIRECTORY;
            PythonLauncher launcher = new PythonLauncher(python.executable(), PythonRuntime.extract(cache), python.tasksDir(),
                    pool.workerMemoryLimit() == null ? 0 : pool.workerMemoryLimit().toBytes(), System.getenv(), pool.workerEnv());
            Message.Init init = new Message.Init(false, pool.initializer(), pool.initializerArgs(),
                    properties.jobs().maxResultBytes().toBytes());
            PoolSettings settings = new PoolSettings(python.effectiveSize(), pool.prefetch(), pool.maxTasksPerWorker(),
                    pool.maxTasksPerWorkerJitter(), pool.maxWorkerRss() == null ? 0 : pool.maxWorkerRss().toBytes(),
                    pool.killGrace(), pool.bootBackoffMax(),
                    (int) Math.min(Integer.MAX_VALUE, properties.jobs().maxLogBytes().toBytes()), init,
                    pool.killLeftoverProcesses(), pool.retireOnLeftoverThreads(), PoolSettings.BOOT_TIMEOUT);
            pools.add(new WorkerPool(launcher, settings, new RuntimePoolListener(launcher.runtime(), completion, metrics), clock));
        }
        for (WorkerPool pool : pools) {
            for (WorkerState state : WorkerState.values()) {
                metrics.workers(pool.runtime(), state.name().toLowerCase(java.util.Locale.ROOT), pool, p -> p.snapshot().count(state));
            }
        }
        return new Pools(pools);
    }

    @Bean
    NodeRuntime nodeRuntime(NodeIdentity node, Pools pools, Dispatcher dispatcher) {
        return new NodeRuntime(node.id(), pools, dispatcher);
    }

    @Bean
    ClusterCommands clusterCommands(JobStore store, NodeRuntime node, RunningJobs running, Broadcast broadcast,
            ExecutorService outcomeWriters, JobpoolProperties properties, Clock clock) {
        return new ClusterCommands(store, node, running, broadcast, outcomeWriters, properties.jobs().lease(), clock);
    }

    @Bean
    Dispatcher dispatcher(JobStore store, Pools pool, RunningJobs running, JobMetrics metrics, Wakeups wakeups,
            NodeIdentity node, JobpoolProperties properties, Clock clock) {
        return new Dispatcher(store, pool, running, metrics, wakeups, node.id(), properties.jobs().lease(),
                properties.cluster().pollInterval(), clock);
    }

    @Bean
    Leases leases(JobStore store, RunningJobs running, JobWaiters waiters, Wakeups wakeups, JobMetrics metrics, NodeIdentity node,
            JobpoolProperties properties, Clock clock) {
        return new Leases(store, running, waiters, wakeups, metrics, node.id(), properties.jobs().lease(),
                properties.jobs().maxRedeliveries(), clock);
    }

    @Bean
    PoolLifecycle poolLifecycle(Pools pool, Dispatcher dispatcher, Leases leases, ClusterCommands commands,
            JobStore store, ExecutorService outcomeWriters, JobCompletion completion, JobWaiters waiters, NodeIdentity node,
            JobpoolProperties properties, Clock clock) {
        return new PoolLifecycle(pool, dispatcher, leases, commands, store, outcomeWriters, completion, waiters, node, properties, clock);
    }

    @Bean
    PoolHealthIndicator poolHealthIndicator(Pools pool) {
        return new PoolHealthIndicator(pool);
    }
}
