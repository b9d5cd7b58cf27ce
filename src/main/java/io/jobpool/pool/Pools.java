package io.jobpool.pool;

import io.jobpool.protocol.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * The node's worker pools, one per runtime (Java first, then Python when it has tasks). Each is
 * a {@link WorkerPool} with its own supervisor; this class only answers questions that span them:
 * which runtime registered a task, which pool runs a job.
 */
public final class Pools {

    private final List<WorkerPool> pools;

    public Pools(List<WorkerPool> pools) {
        if (pools.isEmpty()) {
            throw new IllegalArgumentException("at least one pool is needed");
        }
        this.pools = List.copyOf(pools);
    }

    public List<WorkerPool> all() {
        return pools;
    }

    /** The files the workers of every pool start from, which this server keeps (see {@link WorkerFiles}). */
    public WorkerFiles workerFiles() {
        List<java.nio.file.Path> files = new ArrayList<>();
        pools.forEach(pool -> files.addAll(pool.launcherFiles()));
        return new WorkerFiles(WorkerFiles.DIRECTORY, files);
    }

    /** The Java pool: the one that existed before there were runtimes, and answers the old fields. */
    public WorkerPool primary() {
        return pools.getFirst();
    }

    public Optional<WorkerPool> byRuntime(String runtime) {
        return pools.stream().filter(p -> p.runtime().equals(runtime)).findFirst();
    }

    /** Every registered task with its runtime, sorted by name. */
    public List<RuntimeTask> catalogue() {
        List<RuntimeTask> tasks = new ArrayList<>();
        for (WorkerPool pool : pools) {
            for (Message.TaskInfo info : pool.snapshot().catalogue()) {
                tasks.add(new RuntimeTask(info.name(), info.description(), pool.runtime()));
            }
        }
        tasks.sort(java.util.Comparator.comparing(RuntimeTask::name).thenComparing(RuntimeTask::runtime));
        return List.copyOf(tasks);
    }

    /**
     * The names every pool registered, or empty while some pool has not had a ready worker yet (its
     * tasks are still unknown, so no name can be called unknown).
     */
    public Optional<Set<String>> knownTasks() {
        Set<String> names = new LinkedHashSet<>();
        for (WorkerPool pool : pools) {
            List<Message.TaskInfo> catalogue = pool.snapshot().catalogue();
            if (catalogue.isEmpty()) {
                return Optional.empty();
            }
            catalogue.forEach(t -> names.add(t.name()));
        }
        return Optional.of(names);
    }

    /**
     * From now on a worker that registers a task another runtime's pool lists fails to boot (the
     * pool reports the error and backs off): a task module added after the start must not take a
     * name over. Called once the start checked {@link #duplicateTasks}; before, the pools boot at
     * once and whichever came second would be refused instead of the start.
     */
    public void refuseTasksOfOtherRuntimes() {
        for (WorkerPool pool : pools) {
            pool.refuseTasks(names -> {
                Map<String, List<String>> taken = new TreeMap<>();
                for (WorkerPool other : pools) {
                    if (other == pool) {
                        continue;
                    }
                    for (Message.TaskInfo task : other.snapshot().catalogue()) {
                        if (names.contains(task.name())) {
                            taken.computeIfAbsent(task.name(), n -> new ArrayList<>()).add(other.runtime());
                        }
                    }
                }
                return taken.isEmpty() ? null : "task names the " + String.join(" and ", taken.values().stream()
                        .flatMap(List::stream).distinct().toList()) + " workers register already: " + taken.keySet();
            });
        }
    }

    /** Task names registered by more than one runtime, each with the runtimes that registered it. */
    public Map<String, List<String>> duplicateTasks() {
        Map<String, List<String>> byName = new TreeMap<>();
        for (RuntimeTask task : catalogue()) {
            byName.computeIfAbsent(task.name(), n -> new ArrayList<>()).add(task.runtime());
        }
        byName.values().removeIf(runtimes -> runtimes.size() < 2);
        return byName;
    }

    /** Kills the worker running {@code jobId} in whichever pool runs it; completes with whether one did. */
    public CompletableFuture<Boolean> cancel(String jobId) {
        List<CompletableFuture<Boolean>> answers = pools.stream().map(p -> p.cancel(jobId)).toList();
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                .thenApply(done -> answers.stream().anyMatch(CompletableFuture::join));
    }

    /** What the job printed so far, if a worker of one of the pools runs it now. */
    public CompletableFuture<Optional<String>> runningLogs(String jobId) {
        List<CompletableFuture<Optional<String>>> answers = pools.stream().map(p -> p.runningLogs(jobId)).toList();
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                .thenApply(done -> answers.stream().map(CompletableFuture::join).flatMap(Optional::stream).findFirst());
    }

    /** Every worker of every pool. */
    public List<PoolSnapshot.WorkerInfo> workers() {
        return pools.stream().flatMap(p -> p.snapshot().workers().stream()).toList();
    }

    /** Starts every pool's supervisor. */
    public void start() {
        pools.forEach(WorkerPool::start);
    }

    /** Shuts every pool down together (each gets the same grace); completes when all have stopped. */
    public CompletableFuture<Void> shutdown(Duration grace) {
        return CompletableFuture.allOf(pools.stream().map(p -> p.shutdown(grace)).toArray(CompletableFuture[]::new));
    }

    /** A task as {@code GET /v1/tasks} lists it. */
    public record RuntimeTask(String name, String description, String runtime) {}
}
