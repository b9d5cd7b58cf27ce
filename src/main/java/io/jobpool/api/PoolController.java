package io.jobpool.api;

import io.jobpool.job.JobException;
import io.jobpool.job.JobService;
import io.jobpool.pool.PoolSnapshot;
import io.jobpool.pool.ProcessMemory;
import io.jobpool.pool.WorkerPool;
import io.jobpool.pool.WorkerState;
import io.jobpool.security.ApiKeys;
import java.time.Instant;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code /v1/pool}: the workers, live resizing, and {@code close()} / reopen. */
@RestController
@RequestMapping("/v1/pool")
class PoolController {

    private final JobService jobs;
    private final WorkerPool pool;
    private final boolean authenticated;

    PoolController(JobService jobs, WorkerPool pool, ApiKeys keys) {
        this.jobs = jobs;
        this.pool = pool;
        this.authenticated = keys.enforced();
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
        pool.resize(request.size());
        return view(request.size());
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
        List<WorkerView> workers = snapshot.workers().stream()
                .map(w -> new WorkerView(w.id(), w.pid(), w.state(), w.jobId(), w.tasksCompleted(), w.startedAt(),
                        w.pid() == null ? null : ProcessMemory.rssBytes(w.pid())))
                .toList();
        return new PoolView(size, jobs.accepting(), authenticated ? "api-keys" : "disabled", jobs.queued(),
                snapshot.count(WorkerState.BUSY), snapshot.bootError(), workers);
    }

    /** Body of {@code PUT /v1/pool}. */
    record ResizeRequest(Integer size) {}

    /** The pool as {@code GET /v1/pool} shows it. */
    record PoolView(int size, boolean accepting, String authentication, long queued, long running, String bootError,
            List<WorkerView> workers) {}

    /** One worker process. */
    record WorkerView(String id, Long pid, WorkerState state, String jobId, int tasksCompleted, Instant startedAt,
            Long rssBytes) {}
}
