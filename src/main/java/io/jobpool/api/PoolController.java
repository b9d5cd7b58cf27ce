package io.jobpool.api;

import io.jobpool.config.JobpoolProperties;
import io.jobpool.job.BatchService;
import io.jobpool.job.ClusterNode;
import io.jobpool.job.JobException;
import io.jobpool.job.JobService;
import io.jobpool.node.NodeRuntime;
import io.jobpool.pool.PoolSnapshot;
import io.jobpool.pool.ProcessMemory;
import io.jobpool.pool.WorkerState;
import io.jobpool.security.ApiKeys;
import io.jobpool.security.Caller;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /v1/pool}: this replica's workers and live resizing; and Python's pool verbs, which act on
 * every replica: {@code close()} / reopen, {@code join()}, {@code terminate()}.
 */
@RestController
// produces: a request whose Accept rules out JSON is refused (406) before the handler runs, so a
// submit, cancel or close whose answer the client cannot take has no effect either.
@RequestMapping(value = "/v1/pool", produces = MediaType.APPLICATION_JSON_VALUE)
class PoolController {

    private final JobService jobs;
    private final BatchService batches;
    private final NodeRuntime node;
    private final boolean authenticated;
    private final Duration maxWait;
    private final Duration lease;
    private final Duration nodeExpiry;
    private final Clock clock;
    private final LongPolls longPolls;

    PoolController(JobService jobs, BatchService batches, NodeRuntime node, ApiKeys keys, JobpoolProperties properties, Clock clock,
            LongPolls longPolls) {
        this.jobs = jobs;
        this.batches = batches;
        this.longPolls = longPolls;
        this.node = node;
        this.authenticated = keys.enforced();
        this.maxWait = properties.jobs().maxWait();
        this.lease = properties.jobs().lease();
        this.nodeExpiry = properties.cluster().nodeExpiry();
        this.clock = clock;
    }

    @GetMapping
    PoolView get() {
        return view();
    }

    @PutMapping
    PoolView resize(@RequestBody ResizeRequest request) {
        if (request.size() == null) {
            throw JobException.validation("size", "is required");
        }
        if (request.size() < 1 || request.size() > io.jobpool.pool.PoolSettings.MAX_SIZE) {
            throw JobException.validation("size", "must be between 1 and " + io.jobpool.pool.PoolSettings.MAX_SIZE);
        }
        // What the answer reads from the store is read first: with the store out of reach the
        // request is a 503 that changed nothing, not a resize answered as if it had failed.
        StoreView stored = storeView();
        if (!node.resize(request.runtime(), request.size())) {
            throw JobException.validation("runtime", "no pool runs " + RequestScreeningFilter.abbreviate(request.runtime()) + " tasks here; pools: " + node.runtimes());
        }
        // The sizes as ordered: the supervisors publish theirs once they have acted on it.
        return node.isPrimary(request.runtime()) ? view(stored, request.size(), null, 0)
                : view(stored, node.snapshot().size(), request.runtime(), request.size());
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

    /** {@code Pool.join()}: 200 once nothing is queued or running on any replica, 202 at the timeout. */
    @PostMapping("/join")
    ResponseEntity<PoolView> join(@RequestParam(required = false) String timeout, jakarta.servlet.http.HttpServletRequest http) {
        Duration wait = timeout == null ? maxWait : WaitParameter.of("timeout", timeout, maxWait);
        boolean joined;
        if (wait.isZero()) {
            joined = jobs.join(wait, () -> false);
        } else {
            // A waiting join is one of the caller's long-polls, bounded per key like a job's wait.
            try (var permit = longPolls.acquire(Caller.current())) {
                joined = jobs.join(wait, ClientConnectionValve.clientGone(http));
            }
        }
        if (joined) {
            return ResponseEntity.ok(view());
        }
        return ResponseEntity.status(HttpStatus.ACCEPTED).header(HttpHeaders.RETRY_AFTER, "1").body(view());
    }

    /** {@code Pool.terminate()}: close, then cancel every queued and running job on every replica. */
    @PostMapping("/terminate")
    PoolView terminate() {
        batches.terminate();
        return view();
    }

    private PoolView view() {
        return view(node.snapshot().size(), null, 0);
    }

    /**
     * @param size the Java pool's size
     * @param resized a runtime other than Java whose pool was just ordered to {@code resizedTo}
     *     workers, or {@code null}
     */
    private PoolView view(int size, String resized, int resizedTo) {
        return view(storeView(), size, resized, resizedTo);
    }

    /** What a pool's answer reads from the store (shared by every replica). */
    private record StoreView(boolean accepting, long queued, long running, List<NodeView> nodes) {}

    private StoreView storeView() {
        Instant now = clock.instant();
        // A replica silent past node-expiry is left out at once; the sweep that deletes its row
        // runs only every minute.
        Instant expired = now.minus(nodeExpiry);
        List<NodeView> nodes = jobs.nodes().stream().filter(n -> n.heartbeatAt().isAfter(expired))
                .map(n -> NodeView.of(n, now, lease)).toList();
        return new StoreView(jobs.poolState().accepting(), jobs.queuedNow(), jobs.running(), nodes);
    }

    private PoolView view(StoreView stored, int size, String resized, int resizedTo) {
        PoolSnapshot snapshot = node.snapshot();
        List<RuntimePoolView> pools = node.pools().stream()
                .map(p -> runtimeView(p, p.primary() ? size : p.runtime().equals(resized) ? resizedTo : p.snapshot().size()))
                .toList();
        return new PoolView(size, stored.accepting(), authenticated ? "api-keys" : "disabled", stored.queued(),
                stored.running(), snapshot.count(WorkerState.BUSY), snapshot.bootStatus(), node.id(), workers(snapshot),
                stored.nodes(), pools);
    }

    private static RuntimePoolView runtimeView(NodeRuntime.RuntimePool pool, int size) {
        PoolSnapshot snapshot = pool.snapshot();
        return new RuntimePoolView(pool.runtime(), size, snapshot.count(WorkerState.BUSY), snapshot.bootStatus(), workers(snapshot));
    }

    private static List<WorkerView> workers(PoolSnapshot snapshot) {
        return snapshot.workers().stream()
                .map(w -> new WorkerView(w.id(), w.pid(), w.state(), w.jobId(), w.tasksCompleted(), w.startedAt(),
                        w.pid() == null ? null : ProcessMemory.rssBytes(w.pid())))
                .toList();
    }

    /** Body of {@code PUT /v1/pool}; {@code runtime} (default {@code java}) names the pool to resize. */
    record ResizeRequest(Integer size, String runtime) {}

    /**
     * The pool as {@code GET /v1/pool} shows it: {@code accepting}, {@code queued} and
     * {@code running} are the whole service's; {@code size}, {@code busy} and {@code workers} this
     * replica's Java pool ({@code node}); {@code nodes} every replica by its last heartbeat;
     * {@code pools} each runtime's pool on this replica.
     */
    record PoolView(int size, boolean accepting, String authentication, long queued, long running, long busy,
            String bootError, String node, List<WorkerView> workers, List<NodeView> nodes, List<RuntimePoolView> pools) {}

    /** One runtime's pool on this replica. */
    record RuntimePoolView(String runtime, int size, long running, String bootError, List<WorkerView> workers) {}

    /** One worker process. */
    record WorkerView(String id, Long pid, WorkerState state, String jobId, int tasksCompleted, Instant startedAt,
            Long rssBytes) {}

    /**
     * One replica. {@code alive} while its last heartbeat is younger than its own job lease (it
     * heartbeats every third of it), whatever lease this replica runs: older, its jobs are being
     * taken back by the others. A row of an earlier version, without its lease, is judged by
     * {@code unknownLease}, this replica's.
     */
    record NodeView(String id, Instant startedAt, Instant lastHeartbeat, int size, int running, boolean alive) {

        static NodeView of(ClusterNode node, Instant now, Duration unknownLease) {
            return new NodeView(node.id(), node.startedAt(), node.heartbeatAt(), node.poolSize(), node.running(),
                    node.aliveAt(now, unknownLease));
        }
    }
}
