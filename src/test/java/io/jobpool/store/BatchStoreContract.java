package io.jobpool.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.job.Batch;
import io.jobpool.job.BatchStore;
import io.jobpool.job.ItemOutcome;
import io.jobpool.job.Job;
import io.jobpool.job.JobError;
import io.jobpool.job.JobIds;
import io.jobpool.job.JobQuery;
import io.jobpool.job.JobStatus;
import io.jobpool.job.JobTransition;
import io.jobpool.job.NewBatch;
import io.jobpool.job.NewJob;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The contract of the batch store, attempt error history and per-task concurrency caps, run on
 * H2 and PostgreSQL alike (each backend's test only supplies a data source).
 */
abstract class BatchStoreContract {

    private final Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    private final JobIds ids = new JobIds(Clock.systemUTC());
    private final List<String> finishedBatches = new CopyOnWriteArrayList<>();
    private final List<String> signalled = new CopyOnWriteArrayList<>();
    private DataSource dataSource;
    private TransactionTemplate transactions;
    private JdbcBatchStore batches;
    private JdbcJobStore jobs;

    abstract DataSource dataSource();

    abstract String vendor();

    abstract boolean embedded();

    @BeforeEach
    void emptyStore() {
        dataSource = dataSource();
        Flyway.configure().dataSource(dataSource).locations(Migrations.forVendor(vendor())).cleanDisabled(false).load().clean();
        Flyway.configure().dataSource(dataSource).locations(Migrations.forVendor(vendor())).load().migrate();
        transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        JdbcClient jdbc = JdbcClient.create(dataSource);
        batches = new JdbcBatchStore(jdbc, new JdbcTemplate(dataSource), transactions,
                List.of(batch -> finishedBatches.add(batch.id())), signalled::add, Clock.systemUTC());
        jobs = jobStore(Map.of());
    }

    private JdbcJobStore jobStore(Map<String, Integer> caps) {
        return new JdbcJobStore(JdbcClient.create(dataSource), transactions, List.of(batches), new LocalBroadcast(), embedded(), caps);
    }

    /** A batch of {@code items} square items in chunks of {@code chunksize}, stored. */
    private Batch insertBatch(int items, int chunksize) {
        NewBatch batch = newBatch(items, chunksize, null, null);
        batches.insert(batch);
        return batch.batch();
    }

    /** A batch of {@code items} square items in chunks of {@code chunksize}, under an idempotency key or none. */
    private NewBatch newBatch(int items, int chunksize, String idempotencyKey, String requestHash) {
        String id = ids.next();
        int chunkCount = (items + chunksize - 1) / chunksize;
        List<NewJob> chunks = new ArrayList<>();
        for (int chunk = 0; chunk < chunkCount; chunk++) {
            StringBuilder args = new StringBuilder("[");
            for (int i = chunk * chunksize; i < Math.min(items, (chunk + 1) * chunksize); i++) {
                args.append(i == chunk * chunksize ? "" : ",").append('[').append(i).append(']');
            }
            chunks.add(new NewJob(ids.next(), "square", args.append(']').toString(), "{}", 0, Duration.ofSeconds(30), 1, now, now,
                    null, null, "alice", null, null));
        }
        Batch batch = new Batch(id, "square", false, items, chunksize, chunkCount, 0, 0, 0, 0, 0, 0, Duration.ofSeconds(30), 1,
                "https://example.com/done", null, "alice", now, null, null);
        return new NewBatch(batch, chunks, idempotencyKey, requestHash);
    }

    private List<String> chunkIds(String batchId) {
        return jobs.list(new JobQuery(null, null, batchId, null, null, 100, Long.MAX_VALUE)).jobs().stream().map(Job::id).toList();
    }

    private static String outcomes(int from, int to, int failing) {
        StringBuilder result = new StringBuilder("[");
        for (int i = from; i < to; i++) {
            result.append(i == from ? "" : ",");
            result.append(i == failing ? "{\"error\":{\"type\":\"Boom\",\"message\":\"item " + i + "\",\"trace\":null}}"
                    : "{\"result\":" + (i * i) + "}");
        }
        return result.append(']').toString();
    }

    @Test
    void aSecondBatchUnderAnIdempotencyKeyStoresNothingAndReturnsTheFirst() {
        NewBatch first = newBatch(5, 2, "alice:order-7", "hash-1");
        assertThat(batches.insert(first).created()).isTrue();

        NewBatch second = newBatch(5, 2, "alice:order-7", "hash-2");
        BatchStore.Inserted repeat = batches.insert(second);

        assertThat(repeat.created()).isFalse();
        assertThat(repeat.batch().id()).isEqualTo(first.batch().id());
        assertThat(repeat.requestHash()).isEqualTo("hash-1");
        assertThat(batches.find(second.batch().id())).isEmpty();
        // The losing insert's chunk jobs went with its batch row, in the same transaction.
        assertThat(jobs.list(new JobQuery(null, null, second.batch().id(), null, null, 100, Long.MAX_VALUE)).jobs()).isEmpty();
        assertThat(jobs.list(new JobQuery(null, null, first.batch().id(), null, null, 100, Long.MAX_VALUE)).jobs()).hasSize(3);
        assertThat(batches.findByIdempotencyKey("alice:order-7").orElseThrow().batch().id()).isEqualTo(first.batch().id());
        assertThat(batches.findByIdempotencyKey("bob:order-7")).isEmpty();
        // Batches without a key never collide.
        assertThat(batches.insert(newBatch(1, 1, null, null)).created()).isTrue();
        assertThat(batches.insert(newBatch(1, 1, null, null)).created()).isTrue();
    }

    @Test
    void aBatchIsOneRowAndOneJobPerChunk() {
        Batch batch = insertBatch(10, 4);
        Batch stored = batches.find(batch.id()).orElseThrow();
        assertThat(stored.chunkCount()).isEqualTo(3);
        assertThat(stored.owner()).isEqualTo("alice");
        assertThat(stored.ready()).isFalse();
        List<Job> chunks = jobs.list(new JobQuery(null, null, batch.id(), null, null, 100, Long.MAX_VALUE)).jobs();
        assertThat(chunks).hasSize(3).allMatch(job -> job.batchId().equals(batch.id()) && job.status() == JobStatus.QUEUED);
        assertThat(batches.unfinishedItems(stored)).containsExactly(10, 0);

        jobs.claim("node-a", 1, now, now.plusSeconds(30));
        assertThat(batches.unfinishedItems(stored)).as("the first chunk's 4 items run").containsExactly(6, 4);
        assertThat(chunkIds(batch.id())).hasSize(3);
    }

    @Test
    void aCancelLeftWithUnfinishedChunksIsFoundOnceItIsOlderThanAsked() {
        Batch cancelled = insertBatch(4, 2);
        Batch untouched = insertBatch(4, 2);
        assertThat(batches.requestCancel(cancelled.id(), now)).isTrue();
        assertThat(batches.requestCancel(cancelled.id(), now)).as("a cancel is accepted once").isFalse();

        assertThat(batches.cancelsLeftUnfinished(now)).as("not older than asked").isEmpty();
        assertThat(batches.cancelsLeftUnfinished(now.plusSeconds(1))).containsExactly(cancelled.id());
        for (String chunk : chunkIds(cancelled.id())) {
            assertThat(jobs.transition(JobTransition.cancelled(chunk, JobStatus.QUEUED, null, now))).isTrue();
        }
        assertThat(batches.cancelsLeftUnfinished(now.plusSeconds(1))).as("every chunk final").isEmpty();
        assertThat(batches.find(untouched.id()).orElseThrow().cancelRequestedAt()).isNull();
    }

    @Test
    void aTerminateMarksEveryUnfinishedBatchAndKeepsAnEarlierCancelsTime() {
        Batch earlier = insertBatch(2, 1);
        Batch open = insertBatch(2, 1);
        Batch finished = insertBatch(1, 1);
        assertThat(batches.requestCancel(earlier.id(), now)).isTrue();
        for (String chunk : chunkIds(finished.id())) {
            assertThat(jobs.transition(JobTransition.cancelled(chunk, JobStatus.QUEUED, null, now))).isTrue();
        }

        assertThat(batches.requestCancelOfUnfinished(now.plusSeconds(5))).isEqualTo(1);
        assertThat(batches.find(open.id()).orElseThrow().cancelRequestedAt()).isEqualTo(now.plusSeconds(5));
        assertThat(batches.find(earlier.id()).orElseThrow().cancelRequestedAt()).isEqualTo(now);
        assertThat(batches.find(finished.id()).orElseThrow().cancelRequestedAt()).as("finished before").isNull();
    }

    @Test
    void finishingEveryChunkCountsItsItemsAndCompletesTheBatchOnce() {
        Batch batch = insertBatch(10, 4);
        List<Job> claimed = jobs.claim("node-a", 10, now, now.plusSeconds(30));
        assertThat(claimed).hasSize(3);
        for (Job chunk : claimed) {
            int first = chunk.args().startsWith("[[0]") ? 0 : chunk.args().startsWith("[[4]") ? 4 : 8;
            String result = outcomes(first, Math.min(10, first + 4), 5);
            assertThat(jobs.transition(JobTransition.succeeded(chunk.id(), "node-a", result, "", 1, now))).isTrue();
        }
        Batch done = batches.find(batch.id()).orElseThrow();
        assertThat(done.ready()).isTrue();
        assertThat(done.succeeded()).isEqualTo(9);
        assertThat(done.failed()).isEqualTo(1);
        assertThat(done.status()).isEqualTo(JobStatus.FAILED);
        assertThat(finishedBatches).containsExactly(batch.id());
        assertThat(signalled).contains(batch.id());

        List<ItemOutcome> items = new ArrayList<>();
        batches.readItems(done, items::add);
        assertThat(items).extracting(ItemOutcome::index).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(items.get(9).result()).isEqualTo("81");
        assertThat(items.get(5).error()).isEqualTo(new JobError("Boom", "item 5", null));
        assertThat(batches.finishedChunks(batch.id())).containsExactly(0, 1, 2);
    }

    @Test
    void aRetriedChunkCountsItsItemsOnceAndALostChunkFailsOnlyItsUnfinishedItems() {
        Batch batch = insertBatch(3, 3);
        Job chunk = jobs.claim("node-a", 1, now, now.plusSeconds(30)).getFirst();
        String firstTry = outcomes(0, 3, 1);
        assertThat(jobs.transition(JobTransition.retryChunk(chunk.id(), "node-a", new JobError("ItemsFailedError", "1 of 3", null),
                firstTry, "", 1L, now))).isTrue();
        Job again = jobs.claim("node-a", 1, now, now.plusSeconds(30)).getFirst();
        assertThat(again.result()).as("the retry carries the first attempt's outcomes").isEqualTo(firstTry);
        assertThat(batches.unfinishedItems(batches.find(batch.id()).orElseThrow())).containsExactly(0, 3);
        // The worker dies during the second attempt: item 1 fails with that error, items 0 and 2 keep their results.
        assertThat(jobs.transition(JobTransition.failed(again.id(), "node-a", new JobError("WorkerLostError", "pid 7 killed", null),
                "", 1L, now))).isTrue();
        Batch done = batches.find(batch.id()).orElseThrow();
        assertThat(done.succeeded()).isEqualTo(2);
        assertThat(done.failed()).isEqualTo(1);
        assertThat(done.retried()).isEqualTo(1);
        List<ItemOutcome> items = new ArrayList<>();
        batches.readItems(done, items::add);
        assertThat(items.get(1).error().type()).isEqualTo("WorkerLostError");
        assertThat(items.get(2).result()).isEqualTo("4");

        assertThat(jobs.attemptErrors(chunk.id())).extracting(e -> e.attempt() + ":" + e.type())
                .containsExactly("1:ItemsFailedError", "2:WorkerLostError");
    }

    @Test
    void cancelledChunksCountTheirItemsAsCancelled() {
        Batch batch = insertBatch(5, 2);
        assertThat(batches.requestCancel(batch.id(), now)).isTrue();
        assertThat(batches.requestCancel(batch.id(), now)).as("once").isFalse();
        for (String chunk : chunkIds(batch.id())) {
            assertThat(jobs.transition(JobTransition.cancelled(chunk, JobStatus.QUEUED, null, now))).isTrue();
        }
        Batch done = batches.find(batch.id()).orElseThrow();
        assertThat(done.cancelled()).isEqualTo(5);
        assertThat(done.status()).isEqualTo(JobStatus.CANCELLED);
        assertThat(done.cancelRequestedAt()).isEqualTo(now);
    }

    @Test
    void onlyFinishedBatchesAreDeletedWithTheirChunks() {
        Batch batch = insertBatch(2, 1);
        assertThat(batches.deleteFinished(batch.id())).isFalse();
        for (Job chunk : jobs.claim("node-a", 2, now, now.plusSeconds(30))) {
            jobs.transition(JobTransition.succeeded(chunk.id(), "node-a", "[{\"result\":1}]", "", 1, now));
        }
        assertThat(batches.deleteFinishedBefore(now.minusSeconds(1), 10)).isZero();
        assertThat(batches.deleteFinishedBefore(Instant.now().plusSeconds(1), 10)).isEqualTo(1);
        assertThat(batches.find(batch.id())).isEmpty();
        assertThat(jobs.list(new JobQuery(null, null, batch.id(), null, null, 10, Long.MAX_VALUE)).jobs()).isEmpty();
    }

    /**
     * A chunk's results are its batch's: deleted or expired on its own it left the batch's results
     * short (and in the wrong places) and its NDJSON stream waiting forever for the missing items.
     */
    @Test
    void chunksAreNeitherForgottenNorExpiredApartFromTheirBatch() {
        Batch batch = insertBatch(2, 1);
        List<Job> chunks = jobs.claim("node-a", 2, now, now.plusSeconds(30));
        for (Job chunk : chunks) {
            jobs.transition(JobTransition.succeeded(chunk.id(), "node-a", "[{\"result\":1}]", "", 1, now));
        }
        assertThat(jobs.deleteFinished(chunks.getFirst().id())).isFalse();
        assertThat(jobs.deleteFinishedBefore(Instant.now().plusSeconds(1), 10)).isZero();
        List<ItemOutcome> items = new ArrayList<>();
        batches.readItems(batches.find(batch.id()).orElseThrow(), items::add);
        assertThat(items).hasSize(2);

        assertThat(batches.deleteFinished(batch.id())).isTrue();
        assertThat(jobs.find(chunks.getFirst().id())).isEmpty();
    }

    @Test
    void aFailedJobKeepsEveryAttemptsError() {
        Job job = jobs.insert(new NewJob(ids.next(), "fail", "[\"x\"]", "{}", 0, Duration.ofSeconds(30), 2, now, now, null, null,
                null, null, "h")).job();
        jobs.claim("node-a", 1, now, now.plusSeconds(30));
        jobs.transition(JobTransition.retry(job.id(), "node-a", new JobError("E", "first", "t"), "", 1L, now));
        jobs.claim("node-a", 1, now, now.plusSeconds(30));
        jobs.transition(JobTransition.failed(job.id(), "node-a", new JobError("E", "second", "t"), "", 1L, now));
        assertThat(jobs.attemptErrors(job.id())).extracting(e -> e.attempt() + ":" + e.message())
                .containsExactly("1:first", "2:second");
        assertThat(jobs.attemptErrors(job.id()).getFirst().startedAt()).isEqualTo(now);
        assertThat(jobs.deleteFinished(job.id())).isTrue();
        assertThat(jobs.attemptErrors(job.id())).isEmpty();
    }

    @Test
    void aCappedTaskRunsAtMostItsCapWhileOtherTasksFlowPast() {
        JdbcJobStore capped = jobStore(Map.of("sleep", 1));
        for (int i = 0; i < 3; i++) {
            capped.insert(plain("sleep", 10));
        }
        capped.insert(plain("echo", 0));
        capped.insert(plain("echo", 0));
        List<Job> first = capped.claim("node-a", 10, now, now.plusSeconds(30));
        assertThat(first).extracting(Job::task).containsExactly("sleep", "echo", "echo");
        assertThat(capped.claim("node-b", 10, now, now.plusSeconds(30))).as("sleep is at its cap").isEmpty();
        Job sleep = first.getFirst();
        capped.transition(JobTransition.succeeded(sleep.id(), "node-a", "1", "", 1, now));
        assertThat(capped.claim("node-b", 10, now, now.plusSeconds(30))).extracting(Job::task).containsExactly("sleep");
    }

    /**
     * A capped job cancelled while it runs keeps its place until the node running it has recorded
     * its worker's death: the kill comes after the cancel, and a task that handles SIGTERM runs on
     * until the kill grace ends. A node that died before it recorded it frees the place after a bound.
     */
    @Test
    void aCancelledCappedJobHoldsItsPlaceUntilItsWorkerIsRecordedDead() {
        JdbcJobStore capped = jobStore(Map.of("sleep", 1));
        capped.insert(plain("sleep", 10));
        capped.insert(plain("sleep", 10));
        capped.insert(plain("sleep", 10));
        Job first = capped.claim("node-a", 1, now, now.plusSeconds(30)).getFirst();
        assertThat(capped.transition(JobTransition.cancelled(first.id(), JobStatus.RUNNING, null, now))).isTrue();
        assertThat(capped.claim("node-b", 1, now, now.plusSeconds(30))).as("its worker may still run").isEmpty();

        assertThat(capped.recordCancelledWorker(first.id(), "node-a", 4242, "killed")).isTrue();
        Job second = capped.claim("node-b", 1, now, now.plusSeconds(30)).getFirst();

        assertThat(capped.transition(JobTransition.cancelled(second.id(), JobStatus.RUNNING, null, now))).isTrue();
        Instant later = now.plus(TaskCaps.DYING_BOUND).plusSeconds(1);
        assertThat(capped.claim("node-c", 1, later, later.plusSeconds(30))).as("node-b never recorded it: freed after the bound")
                .hasSize(1);
    }

    @Test
    void concurrentClaimersNeverPassTheCap() throws Exception {
        JdbcJobStore capped = jobStore(Map.of("sleep", 2));
        for (int i = 0; i < 20; i++) {
            capped.insert(plain("sleep", 0));
        }
        int claimers = 6;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(claimers);
        try {
            List<Future<Integer>> claims = new ArrayList<>();
            for (int c = 0; c < claimers; c++) {
                String node = "node-" + c;
                claims.add(pool.submit(() -> {
                    start.await();
                    int taken = 0;
                    for (int round = 0; round < 5; round++) {
                        taken += capped.claim(node, 3, now, now.plusSeconds(30)).size();
                    }
                    return taken;
                }));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> claim : claims) {
                total += claim.get();
            }
            assertThat(total).isEqualTo(2);
        } finally {
            pool.shutdownNow();
        }
        assertThat(capped.list(new JobQuery(JobStatus.RUNNING, null, null, null, null, 100, Long.MAX_VALUE)).jobs()).hasSize(2);
    }

    private NewJob plain(String task, int priority) {
        return new NewJob(ids.next(), task, "[1]", "{}", priority, Duration.ofSeconds(30), 0, now, now, null, null, null, null, "h");
    }
}
