package io.jobpool.store;

import io.jobpool.job.Broadcast;
import io.jobpool.job.ClusterNode;
import io.jobpool.job.ClaimFilter;
import io.jobpool.job.Job;
import io.jobpool.job.JobError;
import io.jobpool.job.ListedJobs;
import io.jobpool.job.JobQuery;
import io.jobpool.job.JobStatus;
import io.jobpool.job.JobStore;
import io.jobpool.job.JobTransition;
import io.jobpool.job.NewJob;
import io.jobpool.job.PoolState;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * {@link JobStore} on plain SQL that SQLite, H2 and PostgreSQL all run. Every state change is
 * {@code UPDATE ... WHERE id = ? AND status = ?} and its row count is checked. After each commit it
 * tells every replica what changed through the {@link Broadcast}: jobs queued (idle dispatchers
 * claim) and jobs finished (long-polls answer).
 *
 * <p>Every write of a job's life (insert, claim, state change) goes through one {@link GroupCommit}:
 * under load the submissions, the claims and the completions that arrive together share a single
 * commit, which is what a job costs on the embedded store (each commit writes every page it
 * touched, of the table and of each index, to the log). The writes of one commit run in arrival order, so a claim sees the jobs
 * inserted before it in the same transaction. PostgreSQL gets several such writers, so that one
 * commit's flush to disk does not hold up the next batch.
 */
public final class JdbcJobStore implements JobStore {

    private static final org.springframework.jdbc.core.RowMapper<ClusterNode> NODE = (rs, n) -> new ClusterNode(rs.getString("id"),
            instant(rs, "started_at"), instant(rs, "heartbeat_at"), rs.getInt("pool_size"), rs.getInt("running"),
            leaseMillis(rs.getLong("lease_ms"), rs.wasNull()));

    private static java.time.Duration leaseMillis(long millis, boolean wasNull) {
        return wasNull ? null : java.time.Duration.ofMillis(millis);
    }

    private static final String COLUMNS = """
            id, task, args, kwargs, status, priority, timeout_ms, max_retries, attempts, redeliveries, result,
            error_type, error_message, error_trace, created_at, scheduled_at, started_at, finished_at, batch_id,
            worker_pid, callback_url, error_callback_url, owner, progress, progress_message, worker_node\s""";

    /**
     * The columns of a job that just finished, for the {@link FinishedHook}s: all but its args and
     * result. Those two can be a batch chunk's 100 KB and more each, stored out of line (H2 LOBs, SQLite overflow pages); they
     * are read again only by a hook that needs them.
     */
    private static final String FINISHED_COLUMNS = withoutPayload(COLUMNS);

    private static String withoutPayload(String columns) {
        String finished = columns.replace("task, args,", "task, NULL AS args,").replace("redeliveries, result,",
                "redeliveries, NULL AS result,");
        if (finished.equals(columns) || !finished.contains("NULL AS args") || !finished.contains("NULL AS result")) {
            throw new IllegalStateException("the job columns changed; say here which of them the finished hooks leave out");
        }
        return finished;
    }

    /**
     * Due jobs, highest priority first, then oldest. Ordering by {@code status} first (constant
     * here) lets the embedded databases walk the {@code jobs_claim} index in order and stop at the
     * limit, and PostgreSQL its partial {@code jobs_queued} (V8); a pool's task filter goes between
     * the two parts and only skips rows on that walk.
     */
    private static final String CLAIM_DUE = " FROM jobs WHERE status = 'QUEUED' AND scheduled_at <= :now";
    private static final String CLAIM_ORDER = " ORDER BY status, priority DESC, scheduled_at, id LIMIT :limit";

    /** What claiming does to a job; the claim adds which rows. */
    private static final String CLAIM_SET = """
            UPDATE jobs SET status = 'RUNNING', attempts = attempts + 1, started_at = :now,
                owner_node = :node, worker_node = :node, lease_until = :lease, worker_pid = NULL,
                progress = NULL, progress_message = NULL""";

    private static final RowMapper<Job> JOB = JdbcJobStore::mapJob;

    /**
     * Where each of {@link #COLUMNS} is in a row: every query that maps jobs selects them first and
     * in that order. Looking columns up by name made sqlite-jdbc build a case-insensitive name map
     * for every result set, 3-4 % of the server's CPU on the sync path (async-profiler).
     */
    private static final List<String> COLUMN_ORDER = java.util.Arrays.stream(COLUMNS.split(",")).map(String::strip).toList();

    private static final int ID = column("id"), TASK = column("task"), ARGS = column("args"), KWARGS = column("kwargs"),
            STATUS = column("status"), PRIORITY = column("priority"), TIMEOUT_MS = column("timeout_ms"),
            MAX_RETRIES = column("max_retries"), ATTEMPTS = column("attempts"), REDELIVERIES = column("redeliveries"),
            RESULT = column("result"), ERROR_TYPE = column("error_type"), ERROR_MESSAGE = column("error_message"),
            ERROR_TRACE = column("error_trace"), CREATED_AT = column("created_at"), SCHEDULED_AT = column("scheduled_at"),
            STARTED_AT = column("started_at"), FINISHED_AT = column("finished_at"), BATCH_ID = column("batch_id"),
            WORKER_PID = column("worker_pid"), CALLBACK_URL = column("callback_url"),
            ERROR_CALLBACK_URL = column("error_callback_url"), OWNER = column("owner"), PROGRESS = column("progress"),
            PROGRESS_MESSAGE = column("progress_message"), WORKER_NODE = column("worker_node");

    /** The 1-based position of a column of {@link #COLUMNS}. */
    private static int column(String name) {
        int at = COLUMN_ORDER.indexOf(name);
        if (at < 0) {
            throw new IllegalStateException("no column " + name + " in the job columns");
        }
        return at + 1;
    }

    /** Commits in flight at once against a server database, which flushes concurrent commits together. */
    private static final int SERVER_WRITERS = 4;

    private final JdbcClient jdbc;
    private final TransactionTemplate transactions;
    private final List<FinishedHook> finishedHooks;
    private final Broadcast broadcast;
    private final boolean embedded;
    private final GroupCommit<Write, Object> writes;
    private final AttemptErrors attemptErrors;
    private final TaskCaps taskCaps;
    /** Told after each commit of the plain jobs it finished (see {@link JobStore#onFinished}). */
    private final List<java.util.function.Consumer<Job>> finishedListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Whether {@code UPDATE ... RETURNING} works here; null until {@link #returning()} first asks. */
    private volatile Boolean returning;

    /**
     * @param embedded true on the embedded store (SQLite, or H2): one process owns the file, so only
     *     this store's writer claims
     */
    public JdbcJobStore(JdbcClient jdbc, TransactionTemplate transactions, List<FinishedHook> finishedHooks,
            Broadcast broadcast, boolean embedded) {
        this(jdbc, transactions, finishedHooks, broadcast, embedded, java.util.Map.of());
    }

    /**
     * @param maxConcurrency per task name, how many of its jobs may run at once across every node
     */
    public JdbcJobStore(JdbcClient jdbc, TransactionTemplate transactions, List<FinishedHook> finishedHooks,
            Broadcast broadcast, boolean embedded, java.util.Map<String, Integer> maxConcurrency) {
        this.jdbc = jdbc;
        this.broadcast = broadcast;
        this.transactions = transactions;
        this.embedded = embedded;
        // One writer on the embedded store: its claims need no row locks because nothing else claims.
        this.writes = new GroupCommit<>("store", 256, embedded ? 1 : SERVER_WRITERS, this::writeAll);
        this.finishedHooks = List.copyOf(finishedHooks);
        this.attemptErrors = new AttemptErrors(jdbc);
        this.taskCaps = new TaskCaps(jdbc, maxConcurrency, embedded);
    }

    @Override
    public Inserted insert(NewJob job) {
        return (Inserted) writes.write(new Insert(job));
    }

    /** One write of a job's life, queued for the next group commit. */
    private sealed interface Write {}

    private record Insert(NewJob job) implements Write {}

    private record Transition(JobTransition transition) implements Write {}

    private record Claim(String node, int limit, Instant now, Instant leaseUntil, ClaimFilter filter) implements Write {}

    /**
     * Applies the writes in one transaction, in order, then tells the other replicas what changed.
     * A failure (a duplicate idempotency key) fails the whole commit; {@link GroupCommit} then
     * retries each write alone.
     */
    private List<Object> writeAll(List<Write> batch) {
        List<Object> results;
        List<Job> finished = new ArrayList<>();
        if (batch.size() == 1 && batch.getFirst() instanceof Insert(NewJob job)) {
            // Alone and outside a transaction: after a duplicate key PostgreSQL still answers the lookup.
            results = List.of(insertOne(job, true));
        } else {
            results = transactions.execute(status -> {
                List<Object> applied = new ArrayList<>(batch.size());
                for (Write write : batch) {
                    applied.add(switch (write) {
                        case Insert(NewJob job) -> insertOne(job, false);
                        case Transition(JobTransition t) -> transitionOne(t, finished);
                        case Claim c -> claimNow(c);
                    });
                }
                return applied;
            });
        }
        tellFinished(finished);
        announce(batch, results);
        return results;
    }

    @Override
    public void onFinished(java.util.function.Consumer<Job> listener) {
        finishedListeners.add(listener);
    }

    /** Committed: the listeners hear of each plain job finished, before the broadcast of its id. */
    private void tellFinished(List<Job> finished) {
        for (Job job : finished) {
            for (var listener : finishedListeners) {
                try {
                    listener.accept(job);
                } catch (RuntimeException e) {
                    // The broadcast that follows still tells of the job by its id.
                    org.slf4j.LoggerFactory.getLogger(JdbcJobStore.class).warn("A listener failed on finished job {}: {}", job.id(),
                            e.toString());
                }
            }
        }
    }

    private Inserted insertOne(NewJob job, boolean alone) {
        NewJob.Claimed claimed = job.claimed();
        try {
            jdbc.sql("""
                    INSERT INTO jobs (id, task, args, kwargs, status, priority, timeout_ms, max_retries, attempts, created_at,
                        scheduled_at, started_at, owner_node, worker_node, lease_until, callback_url, error_callback_url,
                        owner, idempotency_key, request_hash)
                    VALUES (:id, :task, :args, :kwargs, :status, :priority, :timeout, :maxRetries, :attempts, :createdAt,
                        :scheduledAt, :startedAt, :node, :node, :lease, :callbackUrl, :errorCallbackUrl,
                        :owner, :key, :hash)""")
                    .param("id", job.id()).param("task", job.task()).param("args", job.args())
                    .param("kwargs", job.kwargs())
                    .param("status", claimed == null ? JobStatus.QUEUED.name() : JobStatus.RUNNING.name())
                    .param("priority", job.priority())
                    .param("timeout", job.timeout().toMillis()).param("maxRetries", job.maxRetries())
                    .param("attempts", claimed == null ? 0 : 1)
                    .param("createdAt", job.createdAt().toEpochMilli())
                    .param("scheduledAt", job.scheduledAt().toEpochMilli())
                    .param("startedAt", claimed == null ? null : job.createdAt().toEpochMilli(), java.sql.Types.BIGINT)
                    .param("node", claimed == null ? null : claimed.node(), java.sql.Types.VARCHAR)
                    .param("lease", claimed == null ? null : claimed.leaseUntil().toEpochMilli(), java.sql.Types.BIGINT)
                    .param("callbackUrl", job.callbackUrl()).param("errorCallbackUrl", job.errorCallbackUrl())
                    .param("owner", job.owner()).param("key", job.idempotencyKey()).param("hash", job.requestHash())
                    .update();
        } catch (DuplicateKeyException duplicate) {
            if (job.idempotencyKey() == null || !alone) {
                throw duplicate;
            }
            return findByIdempotencyKey(job.idempotencyKey())
                    .orElseThrow(() -> new IllegalStateException("idempotency key collided but no job holds it", duplicate));
        }
        return new Inserted(stored(job), true, job.requestHash());
    }

    /** The stored form of a job just inserted, without reading it back. */
    private static Job stored(NewJob job) {
        NewJob.Claimed claimed = job.claimed();
        return new Job(job.id(), job.task(), job.args(), job.kwargs(), claimed == null ? JobStatus.QUEUED : JobStatus.RUNNING,
                job.priority(), job.timeout(), job.maxRetries(), claimed == null ? 0 : 1, 0, null, null, job.createdAt(),
                job.scheduledAt(), claimed == null ? null : job.createdAt(), null, null, null, job.callbackUrl(),
                job.errorCallbackUrl(), job.owner(), null, claimed == null ? null : claimed.node());
    }

    @Override
    public Optional<Inserted> findByIdempotencyKey(String key) {
        return jdbc.sql("SELECT " + COLUMNS + ", request_hash FROM jobs WHERE idempotency_key = :key")
                .param("key", key)
                .query((rs, n) -> new Inserted(mapJob(rs, n), false, rs.getString("request_hash")))
                .optional();
    }

    @Override
    public Optional<Job> find(String id) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM jobs WHERE id = :id").param("id", id).query(JOB).optional();
    }

    @Override
    public Optional<String> logs(String id) {
        return jdbc.sql("SELECT COALESCE(logs, '') FROM jobs WHERE id = :id").param("id", id).query(String.class).optional();
    }

    @Override
    public boolean capped(String task) {
        return taskCaps.caps(task);
    }

    @Override
    public java.util.Set<String> cappedTasks() {
        return taskCaps.names();
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<Job> claim(String node, int limit, Instant now, Instant leaseUntil, ClaimFilter filter) {
        JobStatus.QUEUED.requireCanMoveTo(JobStatus.RUNNING);
        if (filter.matchesNothing()) {
            return List.of();
        }
        return (List<Job>) writes.write(new Claim(node, limit, now, leaseUntil, filter));
    }

    /** A claim inside the group commit's transaction. */
    private List<Job> claimNow(Claim c) {
        if (!embedded) {
            genericPlanForClaim();
        }
        if (!taskCaps.active() && returning()) {
            return claimInOneStatement(c);
        }
        java.util.Set<String> full = taskCaps.active() ? taskCaps.full(c.now()) : java.util.Set.of();
        List<Job> due = embedded ? dueCandidates(c.now(), c.limit(), c.filter(), full)
                : lockDue(c.now(), c.limit(), c.filter(), full);
        if (taskCaps.active()) {
            due = taskCaps.admit(due, c.now());
        }
        List<Job> claimed = new ArrayList<>(due.size());
        for (Job job : due) {
            int rows = jdbc.sql(CLAIM_SET + " WHERE id = :id AND status = 'QUEUED'")
                    .param("now", c.now().toEpochMilli()).param("node", c.node())
                    .param("lease", c.leaseUntil().toEpochMilli()).param("id", job.id()).update();
            switch (rows) {
                case 0 -> { } // cancelled between the select and the update: not ours to run
                case 1 -> claimed.add(withClaim(job, c.node(), c.now()));
                default -> throw new IllegalStateException(rows + " rows claimed for job id " + job.id());
            }
        }
        return claimed;
    }

    /**
     * PostgreSQL: this transaction's claim runs on its prepared statement's generic plan, which
     * is the same for every due time and limit (walk {@code jobs_queued} in order, stop at the
     * limit). Left to {@code plan_cache_mode=auto}, a session compares the generic plan's cost,
     * estimated once from the statistics when it is first built (at start, often of an empty
     * table), with the average cost of the custom plans, and may keep planning the claim for each
     * call: it did on every writer connection of a warm server, 0.32 ms of planning for 0.13 ms of
     * execution, a third of the database's CPU per job. Forced (one {@code SET LOCAL} per claim),
     * the database's CPU per job fell from 0.78-0.99 ms to 0.60-0.74 ms and jobs/s rose from
     * 770-932 to 957-1154 (bench/README.md). The setting ends with the transaction; the other writes it may hold
     * (inserts, finishes) were on their generic plans already.
     */
    private void genericPlanForClaim() {
        jdbc.sql("SET LOCAL plan_cache_mode = force_generic_plan").update();
    }

    /**
     * Without task caps, on PostgreSQL and SQLite, a claim is one statement that picks the due rows,
     * claims them and answers them: not a read and then an update per job (on PostgreSQL one round
     * trip instead of several). PostgreSQL locks the rows it picks, skipping those another node
     * holds, and {@code MATERIALIZED} runs that locking query once; SQLite needs no locks, as only
     * this store's single writer claims. The rows come back in no particular order, so they are put
     * back in claim order here.
     */
    private List<Job> claimInOneStatement(Claim c) {
        String due = "SELECT id" + CLAIM_DUE + taskClause(c.filter()) + CLAIM_ORDER;
        String sql = embedded
                ? CLAIM_SET + " WHERE id IN (" + due + ") RETURNING " + COLUMNS
                : "WITH due AS MATERIALIZED (" + due + " FOR UPDATE SKIP LOCKED) " + CLAIM_SET
                        + " WHERE id IN (SELECT id FROM due) RETURNING " + COLUMNS;
        return withTasks(jdbc.sql(sql), c.filter())
                .param("now", c.now().toEpochMilli()).param("limit", c.limit()).param("node", c.node())
                .param("lease", c.leaseUntil().toEpochMilli())
                .query(JOB).list().stream()
                .sorted(java.util.Comparator.comparingInt(Job::priority).reversed()
                        .thenComparing(Job::scheduledAt).thenComparing(Job::id))
                .toList();
    }

    /** PostgreSQL: one statement; rows other nodes hold are skipped, the next due ones taken instead. */
    private List<Job> lockDue(Instant now, int limit, ClaimFilter filter, java.util.Set<String> full) {
        return candidates("SELECT " + COLUMNS, " FOR UPDATE SKIP LOCKED", now, limit, filter, full).query(JOB).list();
    }

    /** Restricts a claim to the tasks a pool can run; nothing when the filter excludes nothing. */
    private static String taskClause(ClaimFilter filter) {
        if (filter.tasks().isEmpty()) {
            return "";
        }
        return filter.excluding() ? " AND task NOT IN (:tasks)" : " AND task IN (:tasks)";
    }

    private static JdbcClient.StatementSpec withTasks(JdbcClient.StatementSpec statement, ClaimFilter filter) {
        return filter.tasks().isEmpty() ? statement : statement.param("tasks", List.copyOf(filter.tasks()));
    }

    /**
     * Embedded store: the due jobs, unlocked. The file belongs to one process, whose claims all run
     * on this store's single writer, so no other claim competes; a cancel that lands between this
     * read and the claim's {@code UPDATE ... WHERE status = 'QUEUED'} makes that update miss, and
     * the job is skipped. H2 walks the claim index and stops at the limit only when it reads the
     * index alone, so the ids come first and their rows after ({@code FOR UPDATE} would lock every
     * match before the limit, and could not be cached); SQLite has no row locks at all.
     */
    private List<Job> dueCandidates(Instant now, int limit, ClaimFilter filter, java.util.Set<String> full) {
        List<String> ids = candidates("SELECT id", "", now, limit, filter, full).query(String.class).list();
        if (ids.isEmpty()) {
            return List.of();
        }
        return jdbc.sql("SELECT " + COLUMNS + " FROM jobs WHERE id IN (:ids)")
                .param("ids", ids).query(JOB).list().stream()
                .sorted(java.util.Comparator.comparingInt(job -> ids.indexOf(job.id())))
                .toList();
    }

    /**
     * The claim's candidate query: due jobs of the tasks {@code filter} lets this pool run, leaving
     * out the tasks in {@code full} (at their concurrency cap) so jobs of other tasks flow past them.
     */
    private JdbcClient.StatementSpec candidates(String select, String suffix, Instant now, int limit, ClaimFilter filter,
            java.util.Set<String> full) {
        String capped = full.isEmpty() ? "" : " AND task NOT IN (:full)";
        JdbcClient.StatementSpec spec = withTasks(jdbc.sql(select + CLAIM_DUE + taskClause(filter) + capped + CLAIM_ORDER + suffix), filter)
                .param("now", now.toEpochMilli()).param("limit", limit);
        return full.isEmpty() ? spec : spec.param("full", full);
    }

    /** A queued job has no result, except a batch chunk being retried: its last attempt's per-item outcomes. */
    private static Job withClaim(Job job, String node, Instant now) {
        return new Job(job.id(), job.task(), job.args(), job.kwargs(), JobStatus.RUNNING, job.priority(), job.timeout(),
                job.maxRetries(), job.attempts() + 1, job.redeliveries(), job.result(), job.error(), job.createdAt(),
                job.scheduledAt(), now, null, job.batchId(), null, job.callbackUrl(), job.errorCallbackUrl(), job.owner(), null,
                node);
    }

    @Override
    public boolean transition(JobTransition t) {
        t.from().requireCanMoveTo(t.to());
        return (Boolean) writes.write(new Transition(t));
    }

    @Override
    public java.util.concurrent.CompletableFuture<Boolean> transitionAsync(JobTransition t) {
        t.from().requireCanMoveTo(t.to());
        return writes.submit(new Transition(t)).thenApply(Boolean.class::cast);
    }

    /** Tells every replica what the committed batch changed. */
    private void announce(List<Write> batch, List<Object> results) {
        List<String> finished = new ArrayList<>();
        boolean queued = false;
        for (int i = 0; i < batch.size(); i++) {
            Object result = results.get(i);
            switch (batch.get(i)) {
                case Insert(NewJob job) when job.claimed() == null && ((Inserted) result).created() -> queued = true;
                case Transition(JobTransition t) when Boolean.TRUE.equals(result) -> {
                    if (t.to().isTerminal()) {
                        finished.add(t.id());
                    } else if (t.to() == JobStatus.QUEUED) {
                        queued = true;
                    }
                }
                default -> { }
            }
        }
        try {
            broadcast.publishIds(Broadcast.Topic.JOBS_FINISHED, finished);
            // A re-queued job is due work. A finished one only matters to claimers when per-task caps
            // exist (it may free a capped task's place); without caps, ringing every dispatcher on
            // every finish cost an empty claim transaction and a due-time query per job, a third of
            // the store writer's time at one client. A freed worker is found through its pool's
            // permit, not this ring.
            if (queued || (!finished.isEmpty() && taskCaps.active())) {
                broadcast.publish(Broadcast.Topic.JOBS_AVAILABLE, "");
            }
        } catch (RuntimeException e) {
            // Committed already: waiters and dispatchers find the change at their next fallback poll.
            org.slf4j.LoggerFactory.getLogger(JdbcJobStore.class)
                    .warn("Could not announce {} job change(s) to other replicas; they see them at their next poll: {}",
                            finished.size(), e.toString());
        }
    }

    /**
     * @param finished where a plain job this moves to a final state goes, as stored but without its
     *     args, for {@link #tellFinished} once the transaction has committed
     */
    private boolean transitionOne(JobTransition t, List<Job> finished) {
        Map<String, Object> params = new LinkedHashMap<>();
        StringBuilder sql = new StringBuilder("UPDATE jobs SET status = :to");
        params.put("to", t.to().name());
        set(sql, params, "result", t.result());
        if (t.error() != null) {
            // All three, nulls included: a message or trace left over from an earlier error would mix two errors.
            sql.append(", error_type = :error_type, error_message = :error_message, error_trace = :error_trace");
            params.put("error_type", storable(t.error().type()));
            params.put("error_message", storable(t.error().message()));
            params.put("error_trace", storable(t.error().trace()));
        } else if (t.to() == JobStatus.SUCCEEDED || t.to() == JobStatus.CANCELLED) {
            // An earlier attempt's error stays in the history of attempts, not on a job that
            // succeeded or that its client cancelled while it waited for a retry.
            sql.append(", error_type = NULL, error_message = NULL, error_trace = NULL");
        }
        set(sql, params, "logs", storable(t.logs()));
        if (t.to() == JobStatus.CANCELLED && t.from() == JobStatus.RUNNING && t.logs() == null) {
            // No log until the node running it has killed the worker and recorded all it printed
            // (recordCancelledWorker): a live log stored earlier would read as the whole of it.
            sql.append(", logs = NULL");
        }
        if (t.progress() != null) {
            set(sql, params, "progress", t.progress().fraction());
            set(sql, params, "progress_message", storable(t.progress().message()));
        }
        set(sql, params, "worker_pid", t.workerPid());
        set(sql, params, "finished_at", t.finishedAt() == null ? null : t.finishedAt().toEpochMilli());
        set(sql, params, "scheduled_at", t.scheduledAt() == null ? null : t.scheduledAt().toEpochMilli());
        if (t.attemptsDelta() != 0) {
            sql.append(", attempts = attempts + :attemptsDelta");
            params.put("attemptsDelta", t.attemptsDelta());
        }
        if (t.attemptsDelta() < 0) {
            // An attempt handed back uncounted (a shutdown's): a job that has none left never
            // started, and names no worker (SET reads the attempts before this update).
            sql.append(", worker_node = CASE WHEN attempts <= 1 THEN NULL ELSE worker_node END,"
                    + " started_at = CASE WHEN attempts <= 1 THEN NULL ELSE started_at END");
        }
        if (t.redeliveriesDelta() != 0) {
            sql.append(", redeliveries = redeliveries + :redeliveriesDelta");
            params.put("redeliveriesDelta", t.redeliveriesDelta());
        }
        if (!t.to().equals(JobStatus.RUNNING)) {
            sql.append(", owner_node = NULL, lease_until = NULL");
        }
        sql.append(" WHERE id = :id AND status = :from");
        params.put("id", t.id());
        params.put("from", t.from().name());
        if (t.owner() != null) {
            sql.append(" AND owner_node = :owner");
            params.put("owner", t.owner());
        }
        boolean terminal = t.to().isTerminal();
        Job returned = null;
        boolean changed;
        if (terminal && returning()) {
            // The finished row comes back with the update: one statement, not an update and a read.
            List<Job> rows = jdbc.sql(sql + " RETURNING " + FINISHED_COLUMNS).params(params).query(JOB).list();
            changed = changedOne(t, rows.size());
            returned = changed ? rows.getFirst() : null;
        } else {
            changed = changedOne(t, jdbc.sql(sql.toString()).params(params).update());
        }
        if (changed && t.error() != null) {
            attemptErrors.record(t.id(), t.error());
        }
        if (changed && terminal) {
            Job done = returned != null ? returned
                    : jdbc.sql("SELECT " + FINISHED_COLUMNS + " FROM jobs WHERE id = :id").param("id", t.id()).query(JOB).single();
            finishedHooks.forEach(hook -> hook.jobFinished(done, t.items()));
            if (done.batchId() == null) {
                // A plain job's result is only ever written by the transition that finishes it
                // (a chunk's is also written by its retries), so it is this transition's own.
                finished.add(done.withPayload(null, t.result()));
            }
        }
        return changed;
    }

    private static boolean changedOne(JobTransition t, int rows) {
        return switch (rows) {
            case 0 -> false;
            case 1 -> true;
            default -> throw new IllegalStateException(rows + " rows changed for job id " + t.id());
        };
    }

    /**
     * Whether the database answers {@code UPDATE ... RETURNING}: PostgreSQL and SQLite (3.35 and
     * later) do, H2 does not. Asked of the driver once, at the first write that could use it.
     */
    private boolean returning() {
        Boolean known = returning;
        if (known == null) {
            String product = jdbc.sql("SELECT 1").query(
                    (org.springframework.jdbc.core.ResultSetExtractor<String>) rs -> rs.getStatement().getConnection()
                            .getMetaData().getDatabaseProductName());
            known = product != null && (product.equalsIgnoreCase("PostgreSQL") || product.equalsIgnoreCase("SQLite"));
            returning = known;
        }
        return known;
    }

    /**
     * Text a task produced (its log, error, progress message), as every store can keep it:
     * PostgreSQL's text cannot hold U+0000 and refused the whole write, so the job's outcome was
     * never stored. It becomes U+FFFD, the character for what cannot be shown, on every store.
     */
    static String storable(String text) {
        return text == null || text.indexOf('\0') < 0 ? text : text.replace('\0', '\uFFFD');
    }

    private static void set(StringBuilder sql, Map<String, Object> params, String column, Object value) {
        if (value != null) {
            sql.append(", ").append(column).append(" = :").append(column);
            params.put(column, value);
        }
    }

    @Override
    public List<io.jobpool.job.AttemptError> attemptErrors(String id) {
        return attemptErrors.of(id);
    }

    @Override
    public void reportProgress(String id, String node, double fraction, String message) {
        // Only while it runs here: the final state carries the last report itself, and a report that
        // arrives late must not overwrite it with an older one.
        jdbc.sql("UPDATE jobs SET progress = :fraction, progress_message = :message WHERE id = :id AND status = 'RUNNING'"
                        + " AND owner_node = :node")
                .param("node", node)
                .param("fraction", fraction)
                .param("message", message == null ? null : storable(message.substring(0, Math.min(1000, message.length()))))
                .param("id", id).update();
    }

    @Override
    public void recordWorkerPid(String id, String node, long pid) {
        jdbc.sql("UPDATE jobs SET worker_pid = :pid WHERE id = :id AND status = 'RUNNING' AND owner_node = :node")
                .param("pid", pid).param("id", id).param("node", node).update();
    }

    @Override
    public boolean deleteFinished(String id) {
        // A batch's chunks are deleted with their batch only (JdbcBatchStore): their results are the batch's.
        int rows = jdbc.sql("DELETE FROM jobs WHERE id = :id AND status IN ('SUCCEEDED', 'FAILED', 'CANCELLED') AND batch_id IS NULL")
                .param("id", id).update();
        if (rows == 1) {
            attemptErrors.delete(id);
        }
        return rows == 1;
    }

    @Override
    public ListedJobs list(JobQuery query) {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM jobs WHERE 1 = 1");
        Map<String, Object> params = new LinkedHashMap<>();
        where(sql, params, "status", query.status() == null ? null : query.status().name(), "=");
        where(sql, params, "task", query.task(), "=");
        where(sql, params, "batch_id", query.batchId(), "=");
        where(sql, params, "owner", query.owner(), "=");
        where(sql, params, "id", query.afterId(), "<");
        // Leading with the filtered column (equal in every row) lets the database walk the
        // (column, id) index backwards and stop at the limit instead of sorting every match.
        String leading = query.status() != null ? "status DESC, " : query.task() != null ? "task DESC, "
                : query.batchId() != null ? "batch_id DESC, " : "";
        sql.append(" ORDER BY ").append(leading).append("id DESC LIMIT :limit");
        params.put("limit", query.limit() + 1);
        return jdbc.sql(sql.toString()).params(params).query(rs -> {
            List<Job> jobs = new ArrayList<>();
            long bytes = 0;
            while (rs.next()) {
                if (jobs.size() == query.limit() || (bytes > query.maxBytes() && !jobs.isEmpty())) {
                    return new ListedJobs(jobs, true);
                }
                Job job = mapJob(rs, jobs.size());
                jobs.add(job);
                bytes += size(job);
            }
            return new ListedJobs(jobs, false);
        });
    }

    private static void where(StringBuilder sql, Map<String, Object> params, String column, Object value, String operator) {
        if (value != null) {
            sql.append(" AND ").append(column).append(' ').append(operator).append(" :").append(column);
            params.put(column, value);
        }
    }

    @Override
    public long countRunning() {
        return jdbc.sql("SELECT COUNT(*) FROM jobs WHERE status = 'RUNNING'").query(Long.class).single();
    }

    @Override
    public Optional<Instant> nextDueAfter(Instant after) {
        // A claim compares scheduled_at with its instant in whole milliseconds, as stored.
        return jdbc.sql("SELECT MIN(scheduled_at) FROM jobs WHERE status = 'QUEUED' AND scheduled_at > :after")
                .param("after", after.toEpochMilli())
                .query(rs -> rs.next() ? Optional.ofNullable(instant(rs, 1)) : Optional.<Instant>empty());
    }

    @Override
    public java.util.Set<String> held(String node, java.util.Collection<String> jobIds) {
        java.util.Set<String> held = new java.util.HashSet<>();
        List<String> ids = List.copyOf(jobIds);
        for (int from = 0; from < ids.size(); from += 500) {
            held.addAll(jdbc.sql("SELECT id FROM jobs WHERE owner_node = :node AND status = 'RUNNING' AND id IN (:ids)")
                    .param("node", node).param("ids", ids.subList(from, Math.min(ids.size(), from + 500)))
                    .query(String.class).list());
        }
        return held;
    }

    @Override
    public boolean recordCancelledWorker(String id, String node, long pid, String logs) {
        // pid 0: the job was waiting in the node's backlog and never reached a worker.
        String workerPid = pid == 0 ? "" : "worker_pid = COALESCE(worker_pid, " + pid + "), ";
        boolean recorded = jdbc.sql("UPDATE jobs SET " + workerPid + "logs = :logs WHERE id = :id"
                        + " AND status = 'CANCELLED' AND worker_node = :node")
                .param("logs", storable(logs == null ? "" : logs)).param("id", id).param("node", node)
                .update() == 1;
        if (recorded) {
            try {
                broadcast.publishIds(Broadcast.Topic.LOGS_STORED, List.of(id));
                if (taskCaps.active()) {
                    // Its worker is gone: the place of a capped task it held is free only now.
                    broadcast.publish(Broadcast.Topic.JOBS_AVAILABLE, "");
                }
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(JdbcJobStore.class).warn(
                        "Could not announce the stored log of cancelled job {}; a reader waiting for it gets it within seconds: {}",
                        id, e.toString());
            }
        }
        return recorded;
    }

    @Override
    public boolean cancelledLogPending(String id) {
        return jdbc.sql("SELECT COUNT(*) FROM jobs WHERE id = :id AND " + TaskCaps.WORKER_END_UNRECORDED)
                .param("id", id).query(Integer.class).single() > 0;
    }

    @Override
    public boolean storeLiveLogs(String id, String node, String logs) {
        return jdbc.sql("UPDATE jobs SET logs = :logs WHERE id = :id AND status = 'RUNNING' AND owner_node = :node")
                .param("logs", storable(logs)).param("id", id).param("node", node).update() == 1;
    }

    @Override
    public PoolState poolState() {
        return jdbc.sql("SELECT accepting, changed_at, changed_by FROM pool_state WHERE id = 1")
                .query((rs, n) -> new PoolState(rs.getBoolean("accepting"), instant(rs, "changed_at"), rs.getString("changed_by")))
                .optional().orElse(new PoolState(true, null, null));
    }

    @Override
    public void setAccepting(boolean accepting, String node, Instant now) {
        int rows = jdbc.sql("UPDATE pool_state SET accepting = :accepting, changed_at = :now, changed_by = :node WHERE id = 1")
                .param("accepting", accepting).param("now", now.toEpochMilli()).param("node", node).update();
        if (rows != 1) {
            throw new IllegalStateException("pool_state holds " + rows + " rows for id 1; the migration creates exactly one");
        }
    }

    @Override
    public ClusterNode heartbeat(ClusterNode node) {
        ClusterNode before = jdbc.sql("SELECT id, started_at, heartbeat_at, pool_size, running, lease_ms FROM nodes WHERE id = :id")
                .param("id", node.id()).query(NODE).optional().orElse(null);
        Long leaseMs = node.lease() == null ? null : node.lease().toMillis();
        // started_at too: a replica restarted under the same id after a kill -9 (no goodbye) is a new process.
        int rows = jdbc.sql("UPDATE nodes SET started_at = :started, heartbeat_at = :heartbeat, pool_size = :size, running = :running,"
                + " lease_ms = :lease WHERE id = :id")
                .param("started", node.startedAt().toEpochMilli())
                .param("heartbeat", node.heartbeatAt().toEpochMilli()).param("size", node.poolSize())
                .param("running", node.running()).param("lease", leaseMs, java.sql.Types.BIGINT).param("id", node.id()).update();
        if (rows == 0) {
            jdbc.sql("INSERT INTO nodes (id, started_at, heartbeat_at, pool_size, running, lease_ms)"
                    + " VALUES (:id, :started, :heartbeat, :size, :running, :lease)")
                    .param("id", node.id()).param("started", node.startedAt().toEpochMilli())
                    .param("heartbeat", node.heartbeatAt().toEpochMilli()).param("size", node.poolSize())
                    .param("running", node.running()).param("lease", leaseMs, java.sql.Types.BIGINT).update();
        }
        return before;
    }

    @Override
    public List<ClusterNode> nodes() {
        return jdbc.sql("SELECT id, started_at, heartbeat_at, pool_size, running, lease_ms FROM nodes ORDER BY id")
                .query(NODE).list();
    }

    @Override
    public int forgetNodes(String id, Instant heartbeatBefore) {
        return jdbc.sql("DELETE FROM nodes WHERE id = :id OR heartbeat_at < :before")
                .param("id", id == null ? "" : id).param("before", heartbeatBefore.toEpochMilli()).update();
    }

    @Override
    public long countQueued() {
        return jdbc.sql("SELECT COUNT(*) FROM jobs WHERE status = 'QUEUED'").query(Long.class).single();
    }

    @Override
    public long countQueuedNotDue(Instant now) {
        return jdbc.sql("SELECT COUNT(*) FROM jobs WHERE status = 'QUEUED' AND scheduled_at > :now")
                .param("now", now.toEpochMilli()).query(Long.class).single();
    }

    @Override
    public int renewLeases(String node, java.util.Collection<String> jobIds, Instant leaseUntil) {
        // One row per statement, each its own transaction: a statement that holds no other row's
        // lock while it waits for one can never close a deadlock. One UPDATE over all of a node's
        // running jobs locked them in scan order while a group commit finishing some of the same
        // jobs locked them in its own order, and PostgreSQL broke the cycle by aborting the renewal
        // (seen under concurrent batches on three replicas). A node runs a few jobs at a time.
        int renewed = 0;
        for (String id : jobIds) {
            renewed += jdbc.sql("UPDATE jobs SET lease_until = :lease WHERE id = :id AND owner_node = :node AND status = 'RUNNING'")
                    .param("lease", leaseUntil.toEpochMilli()).param("node", node).param("id", id).update();
        }
        return renewed;
    }

    @Override
    public List<Job> orphans(String node, Instant now, boolean everyOtherNode) {
        return jdbc.sql("SELECT " + COLUMNS + """
                 FROM jobs WHERE status = 'RUNNING'
                 AND (lease_until < :now OR (:others = TRUE AND (owner_node IS NULL OR owner_node <> :node)))""")
                .param("now", now.toEpochMilli()).param("others", everyOtherNode).param("node", node)
                .query(JOB).list();
    }

    @Override
    public List<Job> runningOn(String node) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM jobs WHERE status = 'RUNNING' AND owner_node = :node")
                .param("node", node).query(JOB).list();
    }

    @Override
    public int deleteFinishedBefore(Instant finishedBefore, int limit) {
        List<String> ids = jdbc.sql("""
                SELECT id FROM jobs WHERE finished_at < :before AND status IN ('SUCCEEDED', 'FAILED', 'CANCELLED')
                AND batch_id IS NULL ORDER BY finished_at LIMIT :limit""")
                .param("before", finishedBefore.toEpochMilli()).param("limit", limit).query(String.class).list();
        int deleted = 0;
        for (String id : ids) {
            deleted += deleteFinished(id) ? 1 : 0;
        }
        return deleted;
    }

    /** Roughly what a job weighs in a response: the JSON and text it carries. */
    private static long size(Job job) {
        long size = job.args().length() + job.kwargs().length() + (job.result() == null ? 0 : job.result().length());
        if (job.error() != null) {
            size += (job.error().message() == null ? 0 : job.error().message().length())
                    + (job.error().trace() == null ? 0 : job.error().trace().length());
        }
        return size;
    }

    private static Job mapJob(ResultSet rs, int row) throws SQLException {
        String errorType = rs.getString(ERROR_TYPE);
        JobError error = errorType == null ? null : new JobError(errorType, rs.getString(ERROR_MESSAGE), rs.getString(ERROR_TRACE));
        long pid = rs.getLong(WORKER_PID);
        Long workerPid = rs.wasNull() ? null : pid;
        return new Job(rs.getString(ID), rs.getString(TASK), rs.getString(ARGS), rs.getString(KWARGS),
                JobStatus.valueOf(rs.getString(STATUS)), rs.getInt(PRIORITY),
                Duration.ofMillis(rs.getLong(TIMEOUT_MS)), rs.getInt(MAX_RETRIES), rs.getInt(ATTEMPTS),
                rs.getInt(REDELIVERIES), rs.getString(RESULT), error, instant(rs, CREATED_AT),
                instant(rs, SCHEDULED_AT), instant(rs, STARTED_AT), instant(rs, FINISHED_AT),
                rs.getString(BATCH_ID), workerPid, rs.getString(CALLBACK_URL),
                rs.getString(ERROR_CALLBACK_URL), rs.getString(OWNER), progress(rs), rs.getString(WORKER_NODE));
    }

    private static Job.Progress progress(ResultSet rs) throws SQLException {
        double fraction = rs.getDouble(PROGRESS);
        return rs.wasNull() ? null : new Job.Progress(fraction, rs.getString(PROGRESS_MESSAGE));
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        long millis = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        long millis = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
    }
}
