package io.jobpool.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.job.Job;
import io.jobpool.job.JobError;
import io.jobpool.job.JobIds;
import io.jobpool.job.JobStatus;
import io.jobpool.job.JobStore;
import io.jobpool.job.JobTransition;
import io.jobpool.job.JobWaiters;
import io.jobpool.job.NewJob;
import io.jobpool.metrics.JobMetrics;
import io.jobpool.pool.JobOutcome;
import io.jobpool.store.JdbcJobStore;
import io.jobpool.store.LocalBroadcast;
import io.jobpool.store.Migrations;
import io.jobpool.testing.Sqlite;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.dao.CannotAcquireLockException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Tests for {@link JobCompletion}: a worker's outcome becomes the job's stored state, the job's
 * waiters wake only once it is stored, and a write that fails is written again, not lost.
 */
class JobCompletionTest {

    private static final Duration LEASE = Duration.ofSeconds(30);

    private final Clock clock = Clock.systemUTC();
    private final RunningJobs running = new RunningJobs();
    private final JobWaiters waiters = new JobWaiters();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ExecutorService writers = Executors.newVirtualThreadPerTaskExecutor();
    /** How many of the next commits of a job's state fail, as when the database is briefly unreachable. */
    private final AtomicInteger failingCommits = new AtomicInteger();
    /** Whether commits take 300 ms, so a test can tell waiting for them from not waiting. */
    private volatile boolean slowCommits;
    private JobStore realStore;
    private JobStore store;
    private JobCompletion completion;

    @BeforeEach
    void store() {
        DataSource dataSource = Sqlite.dataSource("completion");
        Flyway.configure().dataSource(dataSource).locations(Migrations.forVendor("sqlite")).load().migrate();
        realStore = new JdbcJobStore(JdbcClient.create(dataSource), new TransactionTemplate(new DataSourceTransactionManager(dataSource)),
                List.of(), new LocalBroadcast(), true);
        store = (JobStore) Proxy.newProxyInstance(JobStore.class.getClassLoader(), new Class<?>[] {JobStore.class},
                (proxy, method, args) -> {
                    if (method.getName().startsWith("transition") && failingCommits.getAndDecrement() > 0) {
                        CannotAcquireLockException down = new CannotAcquireLockException("database is locked");
                        if (method.getName().equals("transitionAsync")) {
                            return CompletableFuture.failedFuture(down);
                        }
                        throw down;
                    }
                    if (method.getName().equals("transitionAsync") && slowCommits) {
                        JobTransition transition = (JobTransition) args[0];
                        return CompletableFuture.supplyAsync(() -> realStore.transition(transition),
                                CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
                    }
                    try {
                        return method.invoke(realStore, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        completion = new JobCompletion(store, running, waiters, () -> { }, new JobMetrics(registry), writers, "node-a",
                Duration.ofSeconds(1), LEASE, clock);
    }

    @AfterEach
    void stop() {
        completion.close();
        writers.shutdownNow();
    }

    private Job running() {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        realStore.insert(new NewJob(new JobIds(clock).next(), "echo", "[1]", "{}", 0, Duration.ofMinutes(5), 0, now, now, null, null,
                null, null, "h"));
        Job job = realStore.claim("node-a", 1, now, now.plus(LEASE)).getFirst();
        running.add(job);
        return job;
    }

    @Test
    void aSuccessIsStoredBeforeItsWaitersWake() throws Exception {
        Job job = running();
        CompletableFuture<?> woken = waiters.register(job.id());
        completion.jobFinished(new JobOutcome.Succeeded(job.id(), "[1]", "printed\n", 4242));
        woken.get(10, TimeUnit.SECONDS);
        Job stored = realStore.find(job.id()).orElseThrow();
        assertThat(stored.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(stored.result()).isEqualTo("[1]");
        assertThat(realStore.logs(job.id())).contains("printed\n");
        assertThat(stored.workerPid()).isEqualTo(4242L);
        assertThat(running.contains(job.id())).as("no longer this node's").isFalse();
        assertThat(registry.find("jobpool.jobs.completed").tag("outcome", "succeeded").counter().count()).isEqualTo(1.0);
    }

    @Test
    void aSuccessWhoseWriteFailsIsWrittenAgain() throws Exception {
        Job job = running();
        failingCommits.set(2);
        CompletableFuture<?> woken = waiters.register(job.id());
        completion.jobFinished(new JobOutcome.Succeeded(job.id(), "[1]", "", 4242));
        woken.get(10, TimeUnit.SECONDS);
        assertThat(failingCommits.get()).as("both failures were met").isNegative();
        assertThat(realStore.find(job.id()).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(running.contains(job.id())).isFalse();
    }

    @Test
    void anOutcomeIsWrittenHoweverLongTheStoreStaysOutOfReachAndTheJobKeepsItsLeaseMeanwhile() throws Exception {
        Job job = running();
        failingCommits.set(5);
        CompletableFuture<?> woken = waiters.register(job.id());
        Instant ended = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        completion.jobFinished(new JobOutcome.Failed(job.id(), "ValueError", "bad input", "trace", "", 4242));
        io.jobpool.testing.Await.until("three failed writes", Duration.ofSeconds(10), () -> failingCommits.get() <= 2);
        assertThat(running.contains(job.id())).as("still this node's, so its lease is renewed").isTrue();
        woken.get(20, TimeUnit.SECONDS);
        assertThat(failingCommits.get()).as("every failure was met").isNegative();
        Job stored = realStore.find(job.id()).orElseThrow();
        assertThat(stored.status()).isEqualTo(JobStatus.FAILED);
        assertThat(running.contains(job.id())).isFalse();
        // Written some 3 s later (100 + 200 + 400 + 800 + 1,600 ms of backoff), yet it ended then.
        assertThat(stored.finishedAt()).as("when the job ended, not when the store took it")
                .isBetween(ended, ended.plusMillis(500));
    }

    @Test
    void aStoppingNodeCanWaitUntilEveryOutcomeIsWritten() throws Exception {
        List<Job> jobs = List.of(running(), running(), running());
        slowCommits = true;
        jobs.forEach(job -> completion.jobFinished(new JobOutcome.Succeeded(job.id(), "[1]", "", 4242)));
        assertThat(completion.awaitWritten(Duration.ofSeconds(10))).isTrue();
        assertThat(jobs).allSatisfy(job -> assertThat(realStore.find(job.id()).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED));
    }

    @Test
    void aKilledWorkerOfACancelledJobCountsAsACancel() throws Exception {
        Job job = running();
        assertThat(realStore.transition(JobTransition.cancelled(job.id(), JobStatus.RUNNING, null, clock.instant()))).isTrue();
        CompletableFuture<?> woken = waiters.register(job.id());
        completion.jobFinished(new JobOutcome.Cancelled(job.id(), "printed\n", 4242));
        woken.get(10, TimeUnit.SECONDS);
        assertThat(registry.find("jobpool.jobs.completed").tag("outcome", "cancelled").counter().count()).isEqualTo(1.0);
        assertThat(realStore.find(job.id()).orElseThrow().workerPid()).isEqualTo(4242L);
    }

    /**
     * A job cancelled just as its worker finished it: the worker is done with it, which is recorded
     * with what it printed, as for a kill (a capped task's place stayed held 30 s, the log empty).
     */
    @Test
    void aSuccessThatMeetsACancelRecordsTheWorkerAsDone() throws Exception {
        Job job = running();
        assertThat(realStore.transition(JobTransition.cancelled(job.id(), JobStatus.RUNNING, null, clock.instant()))).isTrue();
        assertThat(realStore.cancelledLogPending(job.id())).isTrue();
        CompletableFuture<?> woken = waiters.register(job.id());
        completion.jobFinished(new JobOutcome.Succeeded(job.id(), "[1]", "printed before the cancel\n", 4242));
        woken.get(10, TimeUnit.SECONDS);
        Job stored = realStore.find(job.id()).orElseThrow();
        assertThat(stored.status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(realStore.cancelledLogPending(job.id())).as("its worker's end recorded").isFalse();
        assertThat(realStore.logs(job.id())).contains("printed before the cancel\n");
        assertThat(registry.find("jobpool.jobs.completed").tag("outcome", "cancelled").counter().count()).isEqualTo(1.0);
    }

    /** A node that lost the job (lease ran out, another node took it) killed its worker: no completion of its own. */
    @Test
    void aKilledWorkerOfAJobTakenBackIsNoCancel() throws Exception {
        Job job = running();
        assertThat(realStore.transition(JobTransition.redelivered(job.id(), "node-a", new JobError("WorkerLostError", "lease ran out", null))))
                .isTrue();
        CompletableFuture<?> woken = waiters.register(job.id());
        completion.jobFinished(new JobOutcome.Cancelled(job.id(), "", 4242));
        woken.get(10, TimeUnit.SECONDS);
        assertThat(registry.find("jobpool.jobs.completed").tag("outcome", "cancelled").counter()).isNull();
        assertThat(realStore.find(job.id()).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
        assertThat(running.contains(job.id())).isFalse();
    }

    /**
     * A job cancelled while its worker was finishing it: the cancel leaves the count to the node
     * running it, and the kill finds no job left on the worker, so the outcome whose write loses to
     * the cancel counts it, once, as cancelled.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"succeeded", "failed"})
    void anOutcomeThatLosesToACancelCountsTheJobAsCancelled(String outcome) throws Exception {
        Job job = running();
        assertThat(realStore.transition(JobTransition.cancelled(job.id(), JobStatus.RUNNING, null, clock.instant()))).isTrue();
        CompletableFuture<?> woken = waiters.register(job.id());
        completion.jobFinished(outcome.equals("succeeded") ? new JobOutcome.Succeeded(job.id(), "[1]", "", 4242)
                : new JobOutcome.Failed(job.id(), "ValueError", "bad", "trace", "", 4242));
        woken.get(10, TimeUnit.SECONDS);

        assertThat(realStore.find(job.id()).orElseThrow().status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(registry.find("jobpool.jobs.completed").tag("outcome", "cancelled").counter().count()).isEqualTo(1.0);
        assertThat(registry.find("jobpool.jobs.completed").tag("outcome", outcome).counter()).isNull();
    }

    /** A job lost once too often failed for good with WorkerLostError: the late kill of its worker does not claim another node runs it. */
    @Test
    void aKilledWorkerOfAJobThatFailedForGoodMeanwhileIsNotSaidToRunElsewhere() throws Exception {
        Job job = running();
        assertThat(realStore.transition(JobTransition.failed(job.id(), "node-a",
                new JobError("WorkerLostError", "lost 4 time(s)", null), null, null, clock.instant()))).isTrue();
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(JobCompletion.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged = new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try {
            CompletableFuture<?> woken = waiters.register(job.id());
            completion.jobFinished(new JobOutcome.Cancelled(job.id(), "", 4242));
            woken.get(10, TimeUnit.SECONDS);
        } finally {
            logger.detachAppender(logged);
        }
        assertThat(logged.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                .singleElement().satisfies(message -> assertThat(message)
                        .contains("worker pid 4242 killed", "has ended meanwhile (FAILED)", "nothing runs it now")
                        .doesNotContain("another node runs it"));
        assertThat(registry.find("jobpool.jobs.completed").tag("outcome", "cancelled").counter()).isNull();
        assertThat(realStore.find(job.id()).orElseThrow().status()).isEqualTo(JobStatus.FAILED);
    }

    @Test
    void aFailureIsStoredWithItsError() throws Exception {
        Job job = running();
        CompletableFuture<?> woken = waiters.register(job.id());
        completion.jobFinished(new JobOutcome.Failed(job.id(), "ValueError", "bad input", "trace", "", 4242));
        woken.get(10, TimeUnit.SECONDS);
        Job stored = realStore.find(job.id()).orElseThrow();
        assertThat(stored.status()).isEqualTo(JobStatus.FAILED);
        assertThat(stored.error().type()).isEqualTo("ValueError");
        assertThat(stored.error().message()).isEqualTo("bad input");
    }
}
