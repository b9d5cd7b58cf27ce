package io.jobpool.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jobpool.job.ClaimFilter;
import io.jobpool.job.Job;
import io.jobpool.job.JobError;
import io.jobpool.job.JobIds;
import io.jobpool.job.ListedJobs;
import io.jobpool.job.JobQuery;
import io.jobpool.job.JobStatus;
import io.jobpool.job.JobStore;
import io.jobpool.job.JobTransition;
import io.jobpool.job.NewJob;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The contract every {@link JobStore} backend passes; each backend's test only supplies a data
 * source. The same SQL runs on H2 and PostgreSQL, so the same tests must pass on both.
 */
abstract class JobStoreContract {

    private static final JobError LOST = new JobError("WorkerLostError", "its node was lost", null);

    private final Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    private final JobIds ids = new JobIds(Clock.systemUTC());
    private final AtomicReference<RuntimeException> failingHook = new AtomicReference<>();
    private final List<String> hookSaw = new ArrayList<>();
    private final List<Job> hookJobs = new ArrayList<>();
    private final List<String> announced = new java.util.concurrent.CopyOnWriteArrayList<>();
    private JdbcClient jdbc;
    private DataSource dataSource;
    JobStore store;

    /** A data source for an empty database of this backend. */
    abstract DataSource dataSource();

    abstract String vendor();

    /** Whether the backend is an embedded store (SQLite, H2), which claims in two steps without row locks. */
    abstract boolean embedded();

    @BeforeEach
    void emptyStore() {
        dataSource = dataSource();
        Flyway.configure().dataSource(dataSource).locations(Migrations.forVendor(vendor())).cleanDisabled(false).load().clean();
        Flyway.configure().dataSource(dataSource).locations(Migrations.forVendor(vendor())).load().migrate();
        jdbc = JdbcClient.create(dataSource);
        store = new JdbcJobStore(jdbc, new TransactionTemplate(new DataSourceTransactionManager(dataSource)), List.of(job -> {
            hookSaw.add(job.id() + ":" + job.status());
            hookJobs.add(job);
            if (failingHook.get() != null) {
                throw failingHook.get();
            }
        }), new LocalBroadcast() {
            @Override
            public void publish(Topic topic, String payload) {
                announced.add(topic + ":" + payload);
            }
        }, embedded());
    }

    private NewJob newJob(String task, int priority, Instant scheduledAt, String idempotencyKey) {
        return new NewJob(ids.next(), task, "[1,2]", "{\"k\":\"v\"}", priority, Duration.ofSeconds(30), 2, now, scheduledAt,
                "https://example.com/ok", null, null, idempotencyKey, "hash-" + task);
    }

    private Job insert(String task, int priority) {
        return store.insert(newJob(task, priority, now, null)).job();
    }

    @Test
    void insertedJobReadsBackQueuedWithEveryField() {
        NewJob submitted = newJob("echo", 3, now.plusSeconds(5), null);
        Job job = store.insert(submitted).job();
        assertThat(job.id()).isEqualTo(submitted.id());
        assertThat(job.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(job.args()).isEqualTo("[1,2]");
        assertThat(job.kwargs()).isEqualTo("{\"k\":\"v\"}");
        assertThat(job.priority()).isEqualTo(3);
        assertThat(job.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(job.maxRetries()).isEqualTo(2);
        assertThat(job.createdAt()).isEqualTo(now);
        assertThat(job.scheduledAt()).isEqualTo(now.plusSeconds(5));
        assertThat(job.callbackUrl()).isEqualTo("https://example.com/ok");
        assertThat(store.find(job.id())).contains(job);
        assertThat(store.find("01a1fd74-0000-7000-8000-000000000000")).isEmpty();
    }

    /** The queue depth gauge leaves out what no worker may run yet; the running and due ones are not "not due". */
    @Test
    void queuedJobsNotDueAreCountedApart() {
        insert("due", 0);
        store.insert(newJob("later", 0, now.plusSeconds(60), null));
        store.insert(newJob("much-later", 0, now.plusSeconds(3600), null));
        insert("claimed", 5);
        store.claim("node-a", 1, now, now.plusSeconds(30));
        assertThat(store.countQueued()).isEqualTo(3);
        assertThat(store.countQueuedNotDue(now)).isEqualTo(2);
        assertThat(store.countQueuedNotDue(now.plusSeconds(60))).as("due at its scheduled time").isEqualTo(1);
        assertThat(store.countQueuedNotDue(now.plusSeconds(3601))).isZero();
    }

    @Test
    void claimTakesDueJobsHighestPriorityFirstAndNeverTwice() {
        Job low = insert("low", 0);
        Job high = insert("high", 9);
        store.insert(newJob("later", 10, now.plusSeconds(60), null));
        List<Job> claimed = store.claim("node-a", 10, now, now.plusSeconds(30));
        assertThat(claimed).extracting(Job::id).containsExactly(high.id(), low.id());
        assertThat(claimed).allSatisfy(job -> {
            assertThat(job.status()).isEqualTo(JobStatus.RUNNING);
            assertThat(job.attempts()).isEqualTo(1);
        });
        assertThat(store.claim("node-b", 10, now, now.plusSeconds(30))).isEmpty();
        assertThat(store.find(high.id()).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
        assertThat(store.claim("node-b", 10, now.plusSeconds(61), now.plusSeconds(90))).extracting(Job::task).containsExactly("later");
    }

    @Test
    void claimTakesOnlyTheTasksItsFilterMatches() {
        Job javaJob = insert("square", 5);
        Job pythonJob = insert("py_square", 1);
        Job otherPython = insert("py_echo", 0);
        assertThat(store.claim("node-a", 10, now, now.plusSeconds(30), ClaimFilter.only(Set.of())))
                .as("a pool that registered no task claims nothing").isEmpty();
        assertThat(store.claim("node-a", 10, now, now.plusSeconds(30), ClaimFilter.only(Set.of("py_square", "py_echo"))))
                .extracting(Job::id).containsExactly(pythonJob.id(), otherPython.id());
        assertThat(store.find(javaJob.id()).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
        Job unknown = insert("nobody_registers_this", 0);
        assertThat(store.claim("node-a", 10, now, now.plusSeconds(30), ClaimFilter.except(Set.of("py_square", "py_echo"))))
                .extracting(Job::id).containsExactly(javaJob.id(), unknown.id());
    }

    @Test
    void concurrentClaimsNeverShareAJob() throws Exception {
        for (int i = 0; i < 200; i++) {
            insert("job", 0);
        }
        ExecutorService claimers = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<Job>>> results = new ArrayList<>();
            for (int node = 0; node < 4; node++) {
                String name = "node-" + node;
                Callable<List<Job>> claimAll = () -> {
                    List<Job> mine = new ArrayList<>();
                    List<Job> batch;
                    while (!(batch = store.claim(name, 7, now, now.plusSeconds(30))).isEmpty()) {
                        mine.addAll(batch);
                    }
                    return mine;
                };
                results.add(claimers.submit(claimAll));
            }
            Set<String> claimed = new HashSet<>();
            int total = 0;
            for (Future<List<Job>> result : results) {
                for (Job job : result.get()) {
                    claimed.add(job.id());
                    total++;
                }
            }
            assertThat(total).isEqualTo(200);
            assertThat(claimed).hasSize(200);
        } finally {
            claimers.shutdownNow();
        }
    }

    @Test
    void transitionIsACompareAndSet() {
        Job job = insert("echo", 0);
        store.claim("node-a", 1, now, now.plusSeconds(30));
        assertThat(store.transition(JobTransition.succeeded(job.id(), "node-b", "1", "", 7, now))).as("another node's job").isFalse();
        assertThat(store.transition(JobTransition.succeeded(job.id(), "node-a", "42", "out", 7, now))).isTrue();
        assertThat(store.transition(JobTransition.failed(job.id(), "node-a", new JobError("X", "m", null), "", 7L, now))).isFalse();
        Job done = store.find(job.id()).orElseThrow();
        assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(done.result()).isEqualTo("42");
        assertThat(done.workerPid()).isEqualTo(7);
        assertThat(done.finishedAt()).isEqualTo(now);
        assertThat(store.logs(job.id())).contains("out");
    }

    /** What {@code ?wait} answers with, instead of reading the job back: it must be the job as stored. */
    @Test
    void finishListenersHearOfCommittedFinishesWithTheJobAsStored() {
        List<Job> heard = java.util.Collections.synchronizedList(new ArrayList<>());
        store.onFinished(heard::add);
        Job ok = insert("echo", 0);
        Job failing = insert("echo", 0);
        Job rolledBack = insert("echo", 0);
        store.claim("node-a", 3, now, now.plusSeconds(30));
        assertThat(store.transition(JobTransition.succeeded(ok.id(), "node-a", "{\"r\":[1,2]}", "out", 7, now)
                .withProgress(new Job.Progress(0.5, "half")))).isTrue();
        assertThat(store.transition(JobTransition.failed(failing.id(), "node-a", new JobError("X", "m", "t"), "", 8L, now))).isTrue();
        failingHook.set(new IllegalStateException("outbox down"));
        assertThatThrownBy(() -> store.transition(JobTransition.succeeded(rolledBack.id(), "node-a", "1", "", 1, now)));
        failingHook.set(null);
        assertThat(store.transition(JobTransition.failed(ok.id(), "node-a", new JobError("X", "m", null), "", 7L, now)))
                .as("no change, nothing heard").isFalse();

        assertThat(heard).extracting(Job::id).as("only what committed, once").containsExactly(ok.id(), failing.id());
        for (Job job : heard) {
            Job stored = store.find(job.id()).orElseThrow();
            assertThat(job.args()).as("args are left to the waiter, who has them").isNull();
            assertThat(job.withPayload(stored.args(), job.result())).isEqualTo(stored);
        }
        assertThat(heard.getFirst().result()).isEqualTo("{\"r\":[1,2]}");
        assertThat(heard.getFirst().progress()).isEqualTo(new Job.Progress(0.5, "half"));
        assertThat(heard.get(1).error()).isEqualTo(new JobError("X", "m", "t"));
    }

    @Test
    void theStateTableRefusesIllegalTransitions() {
        assertThatThrownBy(() -> JobTransition.cancelled("x", JobStatus.SUCCEEDED, null, now))
                .isInstanceOf(JobStatus.IllegalTransitionException.class);
        assertThat(JobStatus.QUEUED.canMoveTo(JobStatus.SUCCEEDED)).isFalse();
        assertThat(JobStatus.RUNNING.canMoveTo(JobStatus.QUEUED)).isTrue();
    }

    @Test
    void finishedHookCommitsWithTheFinalStateOrNotAtAll() {
        Job job = insert("echo", 0);
        store.claim("node-a", 1, now, now.plusSeconds(30));
        failingHook.set(new IllegalStateException("outbox down"));
        assertThatThrownBy(() -> store.transition(JobTransition.succeeded(job.id(), "node-a", "1", "", 1, now)))
                .hasMessageContaining("outbox down");
        assertThat(store.find(job.id()).orElseThrow().status()).as("rolled back with the hook").isEqualTo(JobStatus.RUNNING);
        failingHook.set(null);
        assertThat(store.transition(JobTransition.succeeded(job.id(), "node-a", "1", "", 1, now))).isTrue();
        assertThat(hookSaw).endsWith(job.id() + ":SUCCEEDED");
    }

    @Test
    void theFinishedHookSeesTheJobAsItIsStoredWithoutArgsOrResult() {
        Job succeeded = insert("echo", 3);
        Job failed = insert("fail", 0);
        store.claim("node-a", 2, now, now.plusSeconds(30));
        Instant finishedAt = now.plusSeconds(2);
        assertThat(store.transition(JobTransition.succeeded(succeeded.id(), "node-a", "[1,2]", "out", 41, finishedAt))).isTrue();
        JobError error = new JobError("java.lang.IllegalStateException", "broken", "trace line");
        assertThat(store.transition(JobTransition.failed(failed.id(), "node-a", error, "", 42L, finishedAt))).isTrue();
        assertThat(hookJobs).hasSize(2);
        for (Job seen : hookJobs) {
            Job stored = store.find(seen.id()).orElseThrow();
            // Args and result can be a chunk's 100 KB: the hooks read them again if they need them.
            assertThat(seen.args()).isNull();
            assertThat(seen.result()).isNull();
            assertThat(seen).usingRecursiveComparison().ignoringFields("args", "result").isEqualTo(stored);
        }
        assertThat(hookJobs.getFirst().status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(hookJobs.getFirst().finishedAt()).isEqualTo(finishedAt);
        assertThat(hookJobs.getFirst().callbackUrl()).isEqualTo("https://example.com/ok");
        assertThat(hookJobs.getLast().error()).isEqualTo(error);
        assertThat(hookJobs.getLast().workerPid()).isEqualTo(42L);
        // A transition that does not happen (the job is no longer running) reaches no hook.
        assertThat(store.transition(JobTransition.failed(failed.id(), "node-a", error, "", 42L, finishedAt))).isFalse();
        assertThat(hookJobs).hasSize(2);
    }

    @Test
    void retryAndInterruptedPutTheJobBackInTheQueue() {
        Job job = insert("echo", 0);
        store.claim("node-a", 1, now, now.plusSeconds(30));
        assertThat(store.transition(JobTransition.retry(job.id(), "node-a", new JobError("E", "m", "t"), "log", 1L, now.plusSeconds(2)))).isTrue();
        Job retried = store.find(job.id()).orElseThrow();
        assertThat(retried.status()).isEqualTo(JobStatus.QUEUED);
        assertThat(retried.error().type()).isEqualTo("E");
        assertThat(store.claim("node-a", 1, now, now.plusSeconds(30))).as("not due yet").isEmpty();
        assertThat(store.claim("node-a", 1, now.plusSeconds(2), now.plusSeconds(30))).hasSize(1);
        assertThat(store.transition(JobTransition.interrupted(job.id(), "node-a"))).isTrue();
        Job handedBack = store.find(job.id()).orElseThrow();
        assertThat(handedBack.attempts()).as("a shutdown hands the attempt back").isEqualTo(1);
        assertThat(handedBack.workerNode()).as("the attempt that counted ran there").isEqualTo("node-a");

        Job fresh = insert("echo", 0);
        assertThat(store.claim("node-b", 10, now.plusSeconds(3), now.plusSeconds(30))).extracting(Job::id).contains(fresh.id());
        assertThat(store.transition(JobTransition.interrupted(fresh.id(), "node-b"))).isTrue();
        Job neverRan = store.find(fresh.id()).orElseThrow();
        assertThat(neverRan.attempts()).isZero();
        assertThat(neverRan.workerNode()).as("no attempt: no worker").isNull();
        assertThat(neverRan.startedAt()).isNull();
    }

    /** Progress comes only from the node that holds the job: one that lost its lease reports nothing any more. */
    @Test
    void progressIsStoredOnlyFromTheNodeHoldingTheJob() {
        Job job = insert("echo", 0);
        store.claim("node-a", 1, now, now.plusSeconds(30));
        store.reportProgress(job.id(), "node-a", 0.4, "from a");
        store.reportProgress(job.id(), "node-b", 0.1, "from b, after its lease ran out");
        Job.Progress progress = store.find(job.id()).orElseThrow().progress();
        assertThat(progress.fraction()).isEqualTo(0.4);
        assertThat(progress.message()).isEqualTo("from a");
    }

    /** A running job's worker pid, for other replicas: only from the node holding it, only while it runs. */
    @Test
    void aWorkerPidIsStoredOnlyWhileTheHoldingNodeRunsTheJob() {
        Job job = insert("echo", 0);
        store.claim("node-a", 1, now, now.plusSeconds(30));
        store.recordWorkerPid(job.id(), "node-b", 7);
        assertThat(store.find(job.id()).orElseThrow().workerPid()).as("not the holder").isNull();
        store.recordWorkerPid(job.id(), "node-a", 42);
        assertThat(store.find(job.id()).orElseThrow().workerPid()).isEqualTo(42L);
        assertThat(store.transition(JobTransition.succeeded(job.id(), "node-a", "1", "", 42L, now))).isTrue();
        store.recordWorkerPid(job.id(), "node-a", 43);
        assertThat(store.find(job.id()).orElseThrow().workerPid()).as("final").isEqualTo(42L);
    }

    /** Task output is arbitrary text; PostgreSQL's text cannot hold U+0000, so it is stored as U+FFFD everywhere. */
    @Test
    void textFromTasksWithNulCharactersIsStored() {
        Job job = insert("echo", 0);
        store.claim("node-a", 1, now, now.plusSeconds(30));
        assertThat(store.storeLiveLogs(job.id(), "node-a", "live\u0000log")).isTrue();
        store.reportProgress(job.id(), "node-a", 0.5, "half\u0000way");
        JobError error = new JobError("E\u0000", "bad\u0000message", "trace\u0000");
        assertThat(store.transition(JobTransition.failed(job.id(), "node-a", error, "printed\u0000this", 1L, now))).isTrue();
        Job failed = store.find(job.id()).orElseThrow();
        assertThat(failed.error()).isEqualTo(new JobError("E\uFFFD", "bad\uFFFDmessage", "trace\uFFFD"));
        assertThat(store.logs(job.id())).contains("printed\uFFFDthis");
        assertThat(store.attemptErrors(job.id()).getFirst().message()).isEqualTo("bad\uFFFDmessage");
    }

    @Test
    void aJobThatSucceedsAfterFailedOrLostAttemptsShowsNoErrorButKeepsTheirHistory() {
        Job job = store.insert(newJob("echo", 0, now, null)).job();
        store.claim("node-a", 1, now, now.plusSeconds(30));
        assertThat(store.transition(JobTransition.retry(job.id(), "node-a", new JobError("E", "first", "t"), "", 1L, now))).isTrue();
        store.claim("node-b", 1, now, now.plusSeconds(30));
        assertThat(store.transition(JobTransition.redelivered(job.id(), "node-b", LOST))).isTrue();
        assertThat(store.find(job.id()).orElseThrow().error()).isEqualTo(LOST);
        store.claim("node-a", 1, now, now.plusSeconds(30));
        assertThat(store.transition(JobTransition.succeeded(job.id(), "node-a", "1", "", 2L, now))).isTrue();

        Job succeeded = store.find(job.id()).orElseThrow();
        assertThat(succeeded.error()).as("the job succeeded").isNull();
        assertThat(succeeded.attempts()).isEqualTo(3);
        assertThat(store.attemptErrors(job.id())).extracting(e -> e.attempt() + ":" + e.type())
                .containsExactly("1:E", "2:WorkerLostError");
    }
    @Test
    void aJobCancelledWhileWaitingForItsRetryShowsNoErrorButKeepsItsHistory() {
        Job job = store.insert(newJob("echo", 0, now, null)).job();
        store.claim("node-a", 1, now, now.plusSeconds(30));
        assertThat(store.transition(JobTransition.retry(job.id(), "node-a", new JobError("E", "first", "t"), "", 1L, now))).isTrue();
        assertThat(store.transition(JobTransition.cancelled(job.id(), JobStatus.QUEUED, null, now))).isTrue();

        Job cancelled = store.find(job.id()).orElseThrow();
        assertThat(cancelled.error()).as("a client's cancel carries no error").isNull();
        assertThat(store.attemptErrors(job.id())).extracting(e -> e.attempt() + ":" + e.message()).containsExactly("1:first");
    }


    @Test
    void orphansAreRunningJobsWhoseLeaseRanOutOrOfOtherNodes() {
        Job mine = insert("mine", 0);
        store.claim("node-a", 1, now, now.plusSeconds(30));
        Job theirs = insert("theirs", 0);
        store.claim("node-b", 1, now, now.plusSeconds(5));
        assertThat(store.orphans("node-a", now, false)).isEmpty();
        assertThat(store.orphans("node-a", now.plusSeconds(10), false)).extracting(Job::id).containsExactly(theirs.id());
        assertThat(store.orphans("node-a", now, true)).extracting(Job::id).containsExactly(theirs.id());
        assertThat(store.renewLeases("node-a", List.of(theirs.id()), now.plusSeconds(60))).as("not node-a's job").isZero();
        assertThat(store.renewLeases("node-b", List.of(theirs.id()), now.plusSeconds(60))).isEqualTo(1);
        assertThat(store.orphans("node-a", now.plusSeconds(10), false)).isEmpty();
        assertThat(store.transition(JobTransition.redelivered(theirs.id(), "node-b", LOST))).isTrue();
        assertThat(store.find(theirs.id()).orElseThrow().redeliveries()).isEqualTo(1);
        assertThat(store.find(mine.id()).orElseThrow().status()).isEqualTo(JobStatus.RUNNING);
        assertThat(store.runningOn("node-a")).extracting(Job::id).containsExactly(mine.id());
        assertThat(store.runningOn("node-b")).as("back in the queue").isEmpty();
    }

    @Test
    void aReaperThatReadTheJobBeforeAnotherNodeClaimedItChangesNothing() {
        Job job = insert("x", 0);
        store.claim("node-a", 1, now, now.plusSeconds(5));
        assertThat(store.transition(JobTransition.redelivered(job.id(), "node-a", LOST))).as("the first reaper").isTrue();
        store.claim("node-c", 1, now, now.plusSeconds(30));
        assertThat(store.transition(JobTransition.redelivered(job.id(), "node-a", LOST))).as("node-c holds it now").isFalse();
        Job held = store.find(job.id()).orElseThrow();
        assertThat(held.workerNode()).isEqualTo("node-c");
        assertThat(held.redeliveries()).isEqualTo(1);
    }

    @Test
    void aRequeuedJobKeepsItsPlaceAheadOfLaterJobs() {
        Job early = store.insert(newJob("early", 0, now.minusSeconds(10), null)).job();
        store.claim("node-a", 1, now, now.plusSeconds(5));
        Job later = insert("later", 0);
        assertThat(store.transition(JobTransition.redelivered(early.id(), "node-a", LOST))).isTrue();
        assertThat(store.find(early.id()).orElseThrow().scheduledAt()).isEqualTo(early.scheduledAt());
        assertThat(store.claim("node-b", 1, now.plusSeconds(1), now.plusSeconds(30))).extracting(Job::id)
                .as("the re-queued job is claimed before the one submitted after it").containsExactly(early.id());
        assertThat(store.transition(JobTransition.interrupted(early.id(), "node-b"))).isTrue();
        assertThat(store.claim("node-b", 1, now.plusSeconds(1), now.plusSeconds(30))).extracting(Job::id)
                .containsExactly(early.id());
        assertThat(store.find(later.id()).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
    }

    @Test
    void aJobStoredAlreadyClaimedRunsUnderItsLeaseAndIsNeverClaimedAgain() {
        NewJob submitted = newJob("echo", 0, now, null).claimedBy("node-a", now.plusSeconds(30));
        Job job = store.insert(submitted).job();
        assertThat(job.status()).isEqualTo(JobStatus.RUNNING);
        assertThat(job.attempts()).isEqualTo(1);
        assertThat(job.startedAt()).isEqualTo(now);
        assertThat(job.workerNode()).isEqualTo("node-a");
        assertThat(store.find(job.id())).as("what the insert answered is what is stored").contains(job);
        assertThat(announced).as("a job already running is no work for idle dispatchers").isEmpty();
        assertThat(store.claim("node-b", 10, now.plusSeconds(1), now.plusSeconds(60))).isEmpty();
        assertThat(store.orphans("node-a", now.plusSeconds(10), false)).as("leased until +30 s").isEmpty();
        assertThat(store.orphans("node-b", now.plusSeconds(31), false)).extracting(Job::id).containsExactly(job.id());
        assertThat(store.held("node-a", List.of(job.id()))).containsExactly(job.id());
        assertThat(store.transition(JobTransition.succeeded(job.id(), "node-b", "1", "", 7L, now))).as("not node-b's").isFalse();
        assertThat(store.transition(JobTransition.succeeded(job.id(), "node-a", "1", "", 7L, now))).isTrue();
        assertThat(store.find(job.id()).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
    }

    @Test
    void insertsClaimsAndTransitionsFromManyThreadsAtOnceEachGetTheirOwnResult() throws Exception {
        ExecutorService callers = Executors.newFixedThreadPool(16);
        try {
            List<Future<String>> submitted = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                submitted.add(callers.submit(() -> insert("job", 0).id()));
            }
            Set<String> ids = new HashSet<>();
            for (Future<String> id : submitted) {
                ids.add(id.get());
            }
            List<Future<List<Job>>> claims = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                claims.add(callers.submit(() -> store.claim("node-a", 25, now, now.plusSeconds(30))));
            }
            List<Future<Boolean>> finished = new ArrayList<>();
            Set<String> claimed = new HashSet<>();
            for (Future<List<Job>> claim : claims) {
                for (Job job : claim.get()) {
                    assertThat(claimed.add(job.id())).as("claimed once: " + job.id()).isTrue();
                    finished.add(callers.submit(() -> store.transition(JobTransition.succeeded(job.id(), "node-a", "1", "", 1L, now))));
                }
            }
            assertThat(claimed).isEqualTo(ids);
            for (Future<Boolean> done : finished) {
                assertThat(done.get()).isTrue();
            }
            assertThat(ids).allSatisfy(id -> assertThat(store.find(id).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED));
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void theNodeThatRanAJobStaysOnItAfterItFinished() {
        Job job = insert("echo", 0);
        assertThat(store.claim("node-a", 1, now, now.plusSeconds(30))).extracting(Job::workerNode).containsExactly("node-a");
        assertThat(store.find(job.id()).orElseThrow().workerNode()).isEqualTo("node-a");
        assertThat(store.transition(JobTransition.succeeded(job.id(), "node-a", "1", "", 42L, now))).isTrue();
        Job done = store.find(job.id()).orElseThrow();
        assertThat(done.workerNode()).isEqualTo("node-a");
        assertThat(done.workerPid()).isEqualTo(42L);
    }

    @Test
    void aCancelledRunningJobIsNoLongerHeldAndALateResultDoesNotOverwriteIt() {
        Job job = insert("sleep", 0);
        store.claim("node-a", 1, now, now.plusSeconds(30));
        assertThat(store.held("node-a", List.of(job.id()))).containsExactly(job.id());
        assertThat(store.countRunning()).isEqualTo(1);
        assertThat(store.storeLiveLogs(job.id(), "node-a", "printed")).isTrue();
        assertThat(store.cancelledLogPending(job.id())).as("running").isFalse();
        JobError reason = new JobError("CancelledError", "terminated", null);
        assertThat(store.transition(JobTransition.cancelled(job.id(), JobStatus.RUNNING, reason, now))).isTrue();
        assertThat(store.cancelledLogPending(job.id())).as("until its node records the whole log").isTrue();
        assertThat(store.logs(job.id())).as("not the live part as if it were all").contains("");
        assertThat(store.held("node-a", List.of(job.id()))).isEmpty();
        assertThat(store.countRunning()).isZero();
        assertThat(store.transition(JobTransition.succeeded(job.id(), "node-a", "1", "", 42L, now))).as("late result").isFalse();
        Job cancelled = store.find(job.id()).orElseThrow();
        assertThat(cancelled.status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(cancelled.error()).isEqualTo(reason);
        assertThat(cancelled.workerPid()).as("the canceller did not know it").isNull();
        // The node that ran it fills in its worker's pid and the log, and no other node can.
        assertThat(store.recordCancelledWorker(job.id(), "node-b", 7L, "b")).isFalse();
        assertThat(store.recordCancelledWorker(job.id(), "node-a", 42L, "printed before the kill\n")).isTrue();
        assertThat(store.recordCancelledWorker(job.id(), "node-a", 43L, "printed before the kill\n")).isTrue();
        assertThat(store.find(job.id()).orElseThrow().workerPid()).as("the first pid stays").isEqualTo(42L);
        assertThat(store.logs(job.id())).contains("printed before the kill\n");
        assertThat(store.cancelledLogPending(job.id())).isFalse();
        assertThat(announced).as("readers waiting for the log are told").contains("LOGS_STORED:" + job.id());
    }

    @Test
    void aJobCancelledBeforeItReachedAWorkerGetsAnEmptyLogAndNoPid() {
        Job queued = insert("sleep", 0);
        assertThat(store.transition(JobTransition.cancelled(queued.id(), JobStatus.QUEUED, null, now))).isTrue();
        assertThat(store.cancelledLogPending(queued.id())).as("never ran").isFalse();
        Job job = insert("sleep", 0);
        store.claim("node-a", 1, now, now.plusSeconds(30));
        assertThat(store.transition(JobTransition.cancelled(job.id(), JobStatus.RUNNING, null, now))).isTrue();
        assertThat(store.recordCancelledWorker(job.id(), "node-a", 0L, null)).as("still in the node's backlog").isTrue();
        assertThat(store.cancelledLogPending(job.id())).isFalse();
        assertThat(store.find(job.id()).orElseThrow().workerPid()).isNull();
        assertThat(store.logs(job.id())).contains("");
    }

    @Test
    void onlyACancelledJobGetsItsWorkerPidFilledIn() {
        Job job = insert("echo", 0);
        store.claim("node-a", 1, now, now.plusSeconds(30));
        assertThat(store.recordCancelledWorker(job.id(), "node-a", 42L, "")).as("still running").isFalse();
        assertThat(store.transition(JobTransition.succeeded(job.id(), "node-a", "1", "", 41L, now))).isTrue();
        assertThat(store.recordCancelledWorker(job.id(), "node-a", 42L, "")).as("succeeded").isFalse();
        assertThat(store.find(job.id()).orElseThrow().workerPid()).isEqualTo(41L);
    }

    @Test
    void everyReplicaIsToldOfQueuedAndFinishedJobs() {
        Job job = insert("echo", 0);
        assertThat(announced).contains("JOBS_AVAILABLE:");
        store.claim("node-a", 1, now, now.plusSeconds(30));
        announced.clear();
        store.transition(JobTransition.succeeded(job.id(), "node-a", "1", "", 42L, now));
        assertThat(announced).contains("JOBS_FINISHED:" + job.id());
        assertThat(announced).as("without caps a finished job frees nothing a claimer waits for")
                .doesNotContain("JOBS_AVAILABLE:");
    }

    @Test
    void withTaskCapsAFinishedJobWakesTheClaimers() {
        store = new JdbcJobStore(jdbc, new TransactionTemplate(new DataSourceTransactionManager(dataSource)), List.of(),
                new LocalBroadcast() {
                    @Override
                    public void publish(Topic topic, String payload) {
                        announced.add(topic + ":" + payload);
                    }
                }, embedded(), java.util.Map.of("sleep", 1));
        Job job = insert("echo", 0);
        store.claim("node-a", 1, now, now.plusSeconds(30));
        announced.clear();
        store.transition(JobTransition.succeeded(job.id(), "node-a", "1", "", 42L, now));
        assertThat(announced).as("it may free a capped task's place").contains("JOBS_FINISHED:" + job.id(), "JOBS_AVAILABLE:");
    }

    @Test
    void aRunningJobsLiveLogIsStoredOnlyByTheNodeHoldingIt() {
        Job job = insert("print", 0);
        store.claim("node-a", 1, now, now.plusSeconds(30));
        assertThat(store.storeLiveLogs(job.id(), "node-b", "not mine")).isFalse();
        assertThat(store.storeLiveLogs(job.id(), "node-a", "so far")).isTrue();
        assertThat(store.logs(job.id())).contains("so far");
        store.transition(JobTransition.succeeded(job.id(), "node-a", "1", "all of it", 42L, now));
        assertThat(store.storeLiveLogs(job.id(), "node-a", "late")).isFalse();
        assertThat(store.logs(job.id())).contains("all of it");
    }

    @Test
    void thePoolStateIsOneRowForEveryReplica() {
        assertThat(store.poolState().accepting()).isTrue();
        store.setAccepting(false, "node-a", now);
        assertThat(store.poolState()).isEqualTo(new io.jobpool.job.PoolState(false, now, "node-a"));
        store.setAccepting(true, "node-c", now.plusSeconds(1));
        assertThat(store.poolState().accepting()).isTrue();
        assertThat(store.poolState().changedBy()).isEqualTo("node-c");
    }

    @Test
    void nodesAreListedByHeartbeatAndForgotten() {
        assertThat(store.heartbeat(new io.jobpool.job.ClusterNode("node-a", now, now, 2, 0))).as("its first").isNull();
        store.heartbeat(new io.jobpool.job.ClusterNode("node-b", now, now, 1, 0));
        assertThat(store.heartbeat(new io.jobpool.job.ClusterNode("node-a", now, now.plusSeconds(5), 2, 3)))
                .as("the row as the beat before left it").isEqualTo(new io.jobpool.job.ClusterNode("node-a", now, now, 2, 0));
        assertThat(store.nodes()).containsExactly(new io.jobpool.job.ClusterNode("node-a", now, now.plusSeconds(5), 2, 3),
                new io.jobpool.job.ClusterNode("node-b", now, now, 1, 0));
        // node-a restarted after a kill -9 (no goodbye), under the same id, and was resized.
        store.heartbeat(new io.jobpool.job.ClusterNode("node-a", now.plusSeconds(6), now.plusSeconds(7), 4, 0));
        assertThat(store.nodes()).first().isEqualTo(new io.jobpool.job.ClusterNode("node-a", now.plusSeconds(6), now.plusSeconds(7), 4, 0));
        assertThat(store.forgetNodes(null, now.plusSeconds(1))).as("node-b is silent").isEqualTo(1);
        assertThat(store.forgetNodes("node-a", now)).isEqualTo(1);
        assertThat(store.nodes()).isEmpty();
    }

    /** Replicas may run different leases (halfway through a rolling change): each row keeps its node's own. */
    @Test
    void aNodesOwnLeaseIsKeptWithItsHeartbeat() {
        store.heartbeat(new io.jobpool.job.ClusterNode("node-a", now, now, 2, 0, Duration.ofSeconds(120)));
        store.heartbeat(new io.jobpool.job.ClusterNode("node-b", now, now, 2, 0, Duration.ofMillis(10_500)));
        store.heartbeat(new io.jobpool.job.ClusterNode("node-old", now, now, 2, 0, null));
        assertThat(store.nodes()).extracting(io.jobpool.job.ClusterNode::lease)
                .containsExactly(Duration.ofSeconds(120), Duration.ofMillis(10_500), null);
        assertThat(store.heartbeat(new io.jobpool.job.ClusterNode("node-a", now, now.plusSeconds(40), 2, 0, Duration.ofSeconds(90))))
                .as("the row as the beat before left it").extracting(io.jobpool.job.ClusterNode::lease).isEqualTo(Duration.ofSeconds(120));
        assertThat(store.nodes().getFirst().lease()).as("restarted with another lease").isEqualTo(Duration.ofSeconds(90));
        Instant later = now.plusSeconds(60);
        assertThat(store.nodes()).filteredOn(n -> n.aliveAt(later, Duration.ofSeconds(30))).extracting(io.jobpool.job.ClusterNode::id)
                .as("at +60 s: node-a beat 20 s ago on a 90 s lease; node-b and node-old (the reader's 30 s) are silent")
                .containsExactly("node-a");
        store.forgetNodes(null, now.plusSeconds(1));
        store.forgetNodes("node-a", now);
    }

    @Test
    void nextDueIsTheEarliestQueuedScheduleAfterTheGivenInstant() {
        assertThat(store.nextDueAfter(now)).isEmpty();
        store.insert(newJob("due", 0, now, null));
        assertThat(store.nextDueAfter(now)).as("due at the instant itself: a claim then saw it").isEmpty();
        store.insert(newJob("later", 0, now.plusSeconds(60), null));
        store.insert(newJob("sooner", 0, now.plusSeconds(5), null));
        assertThat(store.nextDueAfter(now)).contains(now.plusSeconds(5));
        assertThat(store.nextDueAfter(now.minusMillis(1))).contains(now);
        assertThat(store.nextDueAfter(now.plusSeconds(5))).contains(now.plusSeconds(60));
    }

    @Test
    void idempotencyKeyReturnsTheFirstJobWithItsHash() {
        JobStore.Inserted first = store.insert(newJob("echo", 0, now, "owner:key-1"));
        JobStore.Inserted again = store.insert(newJob("echo", 0, now, "owner:key-1"));
        assertThat(first.created()).isTrue();
        assertThat(again.created()).isFalse();
        assertThat(again.job().id()).isEqualTo(first.job().id());
        assertThat(again.requestHash()).isEqualTo("hash-echo");
    }

    @Test
    void listPagesNewestFirstWithFilters() {
        List<String> inserted = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            inserted.add(insert(i % 2 == 0 ? "even" : "odd", 0).id());
        }
        ListedJobs page = store.list(new JobQuery(null, null, null, null, null, 2, Long.MAX_VALUE));
        assertThat(page.jobs()).extracting(Job::id).containsExactly(inserted.get(4), inserted.get(3));
        assertThat(page.more()).isTrue();
        ListedJobs next = store.list(new JobQuery(null, null, null, null, page.jobs().get(1).id(), 10, Long.MAX_VALUE));
        assertThat(next.jobs()).extracting(Job::id).containsExactly(inserted.get(2), inserted.get(1), inserted.get(0));
        assertThat(next.more()).isFalse();
        assertThat(store.list(new JobQuery(JobStatus.QUEUED, "even", null, null, null, 10, Long.MAX_VALUE)).jobs()).hasSize(3);
        ListedJobs bounded = store.list(new JobQuery(null, null, null, null, null, 10, 1));
        assertThat(bounded.jobs()).as("one job, then the budget is spent; the rest follow by cursor").hasSize(1);
        assertThat(bounded.more()).isTrue();
        assertThat(store.countQueued()).isEqualTo(5);
    }

    @Test
    void onlyFinishedJobsAreDeleted() {
        Job queued = insert("echo", 0);
        assertThat(store.deleteFinished(queued.id())).isFalse();
        assertThat(store.transition(JobTransition.cancelled(queued.id(), JobStatus.QUEUED, null, now))).isTrue();
        assertThat(store.deleteFinishedBefore(now, 10)).as("finished at now, not before").isZero();
        assertThat(store.deleteFinishedBefore(now.plusSeconds(1), 10)).isEqualTo(1);
        assertThat(store.find(queued.id())).isEmpty();
    }
}
