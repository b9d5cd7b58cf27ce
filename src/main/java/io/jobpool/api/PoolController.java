package io.jobpool.api;

import io.jobpool.config.JobpoolProperties;
import io.jobpool.job.JobException;
import io.jobpool.job.JobService;
import io.jobpool.pool.PoolSnapshot;
import io.jobpool.pool.Pools;
import io.jobpool.pool.ProcessMemory;
import io.jobpool.pool.WorkerPool;
import io.jobpool.pool.WorkerState;
import java.time.Instant;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /v1/pool}: the workers, live resizing, and {@code close()} / reopen. The top-level fields
 * describe the Java pool (as before there were runtimes); {@code pools} lists every runtime's pool.
 */
@RestController
@RequestMapping("/v1/pool")
class PoolController {

    private final JobService jobs;
    private final WorkerPool pool;
    private final Pools pools;
    private final boolean authenticated;

    PoolController(JobService jobs, Pools pools, JobpoolProperties properties) {
        this.jobs = jobs;
        this.pool = pools.primary();
        this.pools = pools;
        this.authenticated = !properties.security().apiKeys().isEmpty();
    }

    @GetMapping
    PoolView get() {
        return view();
    }

    @PutMapping
    PoolView resize(@RequestBody ResizeRequest request) {
        if (request.size() == null || request.size() < 1 || request.size() > 1024) {
            throw JobException.validation("size", "must be between 1 and 1024");
        }
        String runtime = request.runtime() == null ? pool.runtime() : request.runtime();
        WorkerPool target = pools.byRuntime(runtime).orElseThrow(() -> JobException.validation("runtime",
                "no pool runs " + runtime + " tasks here; pools: " + pools.all().stream().map(WorkerPool::runtime).toList()));
        target.resize(request.size());
        return view(target == pool ? request.size() : pool.snapshot().size());
    }

    @PostMapping("/close")
    PoolView close() {
        jobs.closePool();
        return view();
    }

    @PostMapping("/open")
    PoolView open() {
        jobs.openPool();
        return view();
    }

    private PoolView view() {
        return view(pool.snapshot().size());
    }

    private PoolView view(int size) {
        PoolSnapshot snapshot = pool.snapshot();
        List<RuntimePoolView> all = pools.all().stream().map(p -> runtimeView(p, p == pool ? size : p.snapshot().size())).toList();
        long running = pools.all().stream().mapToLong(p -> p.snapshot().count(WorkerState.BUSY)).sum();
        return new PoolView(size, jobs.accepting(), authenticated ? "api-keys" : "disabled", jobs.queued(),
                running, snapshot.bootError(), workers(snapshot), all);
    }

    private static RuntimePoolView runtimeView(WorkerPool pool, int size) {
        PoolSnapshot snapshot = pool.snapshot();
        return new RuntimePoolView(pool.runtime(), size, snapshot.count(WorkerState.BUSY), snapshot.bootError(), workers(snapshot));
    }

    private static List<WorkerView> workers(PoolSnapshot snapshot) {
        return snapshot.workers().stream()
                .map(w -> new WorkerView(w.id(), w.pid(), w.state(), w.jobId(), w.tasksCompleted(), w.startedAt(),
                        w.pid() == null ? null : ProcessMemory.rssBytes(w.pid())))
                .toList();
    }

    /** Body of {@code PUT /v1/pool}; {@code runtime} defaults to {@code java}. */
    record ResizeRequest(Integer size, String runtime) {}

    /**
     * The pool as {@code GET /v1/pool} shows it: {@code size}, {@code bootError} and {@code workers}
     * are the Java pool's, {@code running} counts every runtime, {@code pools} has each runtime's.
     */
    record PoolView(int size, boolean accepting, String authentication, long queued, long running, String bootError,
            List<WorkerView> workers, List<RuntimePoolView> pools) {}

    /** One runtime's pool. */
    record RuntimePoolView(String runtime, int size, long running, String bootError, List<WorkerView> workers) {}

    /** One worker process. */
    record WorkerView(String id, Long pid, WorkerState state, String jobId, int tasksCompleted, Instant startedAt,
            Long rssBytes) {}
}
