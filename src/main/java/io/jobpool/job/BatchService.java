package io.jobpool.job;

import io.jobpool.metrics.JobMetrics;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the API does with batches: {@code map_async} / {@code starmap_async} with a chunksize, their
 * counts, results in item order or as they complete, cancel and forget. Each chunk is one job, so a
 * batch runs, retries and is cancelled through the same path as any job.
 */
public final class BatchService {

    private static final Logger log = LoggerFactory.getLogger(BatchService.class);
    private static final Duration RECHECK = Duration.ofSeconds(1);

    private final BatchStore store;
    private final JobService jobs;
    private final JobIds ids;
    private final JobWaiters waiters;
    private final WorkSignal workSignal;
    private final QueueDepth queueDepth;
    private final JobMetrics metrics;
    private final JobLimits limits;
    private final int maxBatchItems;
    private final Clock clock;

    public BatchService(BatchStore store, JobService jobs, JobIds ids, JobWaiters waiters, WorkSignal workSignal,
            QueueDepth queueDepth, JobMetrics metrics, JobLimits limits, int maxBatchItems, Clock clock) {
        this.store = store;
        this.jobs = jobs;
        this.ids = ids;
        this.waiters = waiters;
        this.workSignal = workSignal;
        this.queueDepth = queueDepth;
        this.metrics = metrics;
        this.limits = limits;
        this.maxBatchItems = maxBatchItems;
        this.clock = clock;
    }

    /** Result of a batch submission; {@code created} is false when an idempotent retry returned the first batch. */
    public record Submitted(Batch batch, boolean created) {}

    public Submitted submit(BatchSubmission s) {
        int items = s.items().size();
        if (items > maxBatchItems) {
            throw BatchException.tooManyItems(items, maxBatchItems);
        }
        if (s.chunksize() != null && (s.chunksize() < 1 || s.chunksize() > maxBatchItems)) {
            throw JobException.validation("chunksize", "must be between 1 and " + maxBatchItems + " (jobpool.jobs.max-batch-items)");
        }
        // The job options are checked exactly as for a single job; its args are checked per item below.
        NewJob options = jobs.validate(new Submission(s.task(), "[]", "{}", s.timeout(), s.priority(), s.delay(),
                s.maxRetries(), s.callbackUrl(), s.errorCallbackUrl(), s.owner(), null));
        String key = JobService.scopedKey(s.owner(), s.idempotencyKey());
        String hash = key == null ? null : hash(s, options.timeout());
        if (key != null) {
            // A retry of a batch already stored gets it back, also while new work is refused (pool
            // closed, queue full): the service took that request. Read first, so a retry of a large
            // batch neither takes queue places nor cuts its items into chunks again.
            Optional<BatchStore.Inserted> first = store.findByIdempotencyKey(key);
            if (first.isPresent()) {
                return repeat(s, hash, first.get());
            }
        }
        if (!jobs.accepting()) {
            throw JobException.poolClosed();
        }
        int chunksize = s.chunksize() != null ? s.chunksize()
                : defaultChunksize(items, jobs.localPoolSize(s.task()), limits.queueCapacity());
        int chunkCount = items == 0 ? 0 : (items + chunksize - 1) / chunksize;
        if (chunkCount > limits.queueCapacity()) {
            // Waiting would never help: the batch alone is more than the queue ever holds.
            throw JobException.validation("chunksize", "the batch makes " + chunkCount + " chunk jobs and the queue holds at most "
                    + limits.queueCapacity() + " (jobpool.queue.capacity); use a chunksize of at least "
                    + ((items + limits.queueCapacity() - 1) / limits.queueCapacity()));
        }
        if (!queueDepth.tryReserve(chunkCount, limits.queueCapacity())) {
            throw JobException.queueFull(limits.queueCapacity(), queueDepth.current(), chunkCount);
        }
        BatchStore.Inserted inserted;
        try {
            inserted = insert(s, ids.next(), items, chunksize, chunkCount, options, key, hash);
        } catch (RuntimeException | Error e) {
            queueDepth.release(chunkCount);
            throw e;
        }
        if (!inserted.created()) {
            // A concurrent request with the same key stored its batch between the read above and this insert.
            queueDepth.release(chunkCount);
            return repeat(s, hash, inserted);
        }
        Batch batch = inserted.batch();
        queueDepth.queued(chunkCount);
        for (int chunk = 0; chunk < chunkCount; chunk++) {
            metrics.submitted(s.task());
        }
        log.info("Batch {} QUEUED: {} of task {} over {} items in {} chunks of {}", batch.id(), s.starmap() ? "starmap" : "map",
                s.task(), items, chunkCount, chunksize);
        workSignal.jobsAvailable();
        return new Submitted(batch, true);
    }

    /** The first batch stored under the request's key, or a conflict if it came from another request. */
    private static Submitted repeat(BatchSubmission s, String hash, BatchStore.Inserted first) {
        if (!hash.equals(first.requestHash())) {
            throw BatchException.idempotencyConflict(s.idempotencyKey(), first.batch().id());
        }
        return new Submitted(first.batch(), false);
    }

    /** What makes two batch requests the same: every field, the items as compact JSON, the timeout as applied. */
    private static String hash(BatchSubmission s, Duration timeout) {
        MessageDigest digest = Sha256.newDigest();
        String options = String.join("\u0000", s.task(), Boolean.toString(s.starmap()), String.valueOf(s.chunksize()),
                timeout.toString(), Integer.toString(s.priority()), s.delay().toString(), Integer.toString(s.maxRetries()),
                String.valueOf(s.callbackUrl()), String.valueOf(s.errorCallbackUrl()), "");
        digest.update(options.getBytes(StandardCharsets.UTF_8));
        s.items().digestInto(digest);
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Checks the items, cuts them into chunk jobs and stores the batch with its chunks in one transaction. */
    private BatchStore.Inserted insert(BatchSubmission s, String id, int items, int chunksize, int chunkCount, NewJob options,
            String key, String hash) {
        Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        List<NewJob> chunks = new ArrayList<>(chunkCount);
        checkItems(s);
        for (int chunk = 0; chunk < chunkCount; chunk++) {
            String args = s.items().args(chunk * chunksize, Math.min(items, (chunk + 1) * chunksize), s.starmap());
            chunks.add(new NewJob(ids.next(), s.task(), args, "{}", options.priority(), options.timeout(),
                    options.maxRetries(), now, options.scheduledAt(), null, null, s.owner(), null, null));
        }
        Batch batch = new Batch(id, s.task(), s.starmap(), items, chunksize, chunkCount, 0, 0, 0, 0, 0, options.priority(),
                options.timeout(), options.maxRetries(), s.callbackUrl(), s.errorCallbackUrl(), s.owner(), now, null,
                chunkCount == 0 ? now : null);
        return store.insert(new NewBatch(batch, chunks, key, hash));
    }

    /**
     * {@code Pool.map}'s choice, about four chunks per worker, but never more chunks than the queue
     * holds: a client that chose no chunksize must not be refused for one.
     */
    static int defaultChunksize(int items, int workers, int queueCapacity) {
        int perRound = 4 * Math.max(1, workers);
        int fitsTheQueue = (items + Math.max(1, queueCapacity) - 1) / Math.max(1, queueCapacity);
        return Math.max(1, Math.max((items + perRound - 1) / perRound, fitsTheQueue));
    }

    /** Each item checked as a job's arguments are: a starmap item is an argument list, and no item is too large. */
    private void checkItems(BatchSubmission s) {
        BatchItems items = s.items();
        for (int i = 0; i < items.size(); i++) {
            if (s.starmap() && !items.isArray(i)) {
                throw JobException.validation("items[" + i + "]", "must be an array of arguments (starmap)");
            }
            if (items.length(i) > limits.maxPayloadBytes()) {
                throw JobException.payloadTooLarge("items[" + i + "]", items.length(i), limits.maxPayloadBytes(),
                        "jobpool.jobs.max-payload-bytes");
            }
        }
    }

    public Batch get(String id, String owner) {
        return store.find(id).filter(batch -> owner == null || owner.equals(batch.owner()))
                .orElseThrow(() -> BatchException.notFound(id));
    }

    public BatchCounts counts(Batch batch) {
        int[] unfinished = store.unfinishedItems(batch);
        return new BatchCounts(batch.itemCount(), unfinished[0], unfinished[1], batch.succeeded(), batch.failed(),
                batch.cancelled(), batch.retried());
    }

    /**
     * Waits up to {@code timeout} for every chunk of the batch to finish; returns the batch as it then is.
     *
     * @param callerGone asked at each re-read: true ends the wait at once (nobody reads the answer)
     */
    public Batch await(String id, String owner, Duration timeout, java.util.function.BooleanSupplier callerGone) {
        Duration bounded = timeout.compareTo(limits.maxWait()) > 0 ? limits.maxWait() : timeout;
        long deadline = System.nanoTime() + bounded.toNanos();
        while (true) {
            CompletableFuture<?> progressed = waiters.register(id);
            Batch batch = get(id, owner);
            long remaining = deadline - System.nanoTime();
            if (batch.ready() || remaining <= 0 || waiters.closing() || callerGone.getAsBoolean()) {
                return batch;
            }
            awaitProgress(id, progressed, Math.min(remaining, RECHECK.toNanos()));
        }
    }

    /**
     * Waits until another chunk of the batch finishes (on this node; other replicas' are seen
     * within {@link #RECHECK}) or {@code nanos} pass.
     */
    public void awaitProgress(String id, CompletableFuture<?> progressed, long nanos) {
        try {
            progressed.get(nanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            waiters.unregister(id, progressed);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for batch " + id, e);
        }
    }

    /** A future completed when the next chunk of the batch finishes on this node. */
    public CompletableFuture<?> progressSignal(String id) {
        return waiters.register(id);
    }

    /** Whether the server is shutting down, so a stream of results should end with what it sent. */
    public boolean closing() {
        return waiters.closing();
    }

    /**
     * Cancels what has not finished: queued chunks never run, and running ones are killed through
     * the jobs' own cancel path (the node that runs each chunk kills its worker).
     */
    public Batch cancel(String id, String owner) {
        Batch batch = get(id, owner);
        if (batch.ready()) {
            throw BatchException.finished(batch);
        }
        boolean first = store.requestCancel(id, clock.instant());
        // A repeat still stops what is left (the first cancel's replica may have died half way),
        // but only the first cancel answers 200, as with a job's concurrent cancels.
        int cancelled = jobs.cancelAllUnfinished(id, null);
        if (!first) {
            throw BatchException.alreadyCancelled(get(id, owner));
        }
        log.info("Batch {} CANCELLED by its client: {} unfinished chunk(s) cancelled", id, cancelled);
        return get(id, owner);
    }

    /**
     * {@code Pool.terminate()}: closes the pool, marks every unfinished batch cancelled (its
     * {@code cancelledAt} says when, as a batch cancel's does), then cancels every queued and
     * running job. The marks come before the jobs' cancels so a batch whose last chunk is
     * cancelled ends with them, and a replica that stops half way leaves its batches to
     * {@link #finishLeftCancels}.
     */
    public int terminate() {
        return jobs.terminate(() -> {
            int marked = store.requestCancelOfUnfinished(clock.instant());
            if (marked > 0) {
                log.info("Pool terminate: {} unfinished batch(es) marked cancelled; their chunks are cancelled with the other jobs",
                        marked);
            }
        });
    }

    /**
     * Finishes the cancels a replica left half done (it stopped while cancelling): the chunks
     * still queued or running of batches cancelled before {@code requestedBefore} are cancelled.
     */
    public void finishLeftCancels(Instant requestedBefore) {
        for (String id : store.cancelsLeftUnfinished(requestedBefore)) {
            int cancelled = jobs.cancelAllUnfinished(id, null);
            if (cancelled > 0) {
                log.info("Batch {} was cancelled but {} of its chunk(s) were left unfinished (the replica cancelling them"
                        + " stopped); cancelled them now", id, cancelled);
            }
        }
    }

    /** Forgets a finished batch and its chunks. */
    public void forget(String id, String owner) {
        Batch batch = get(id, owner);
        if (!batch.ready()) {
            throw BatchException.notReady(id);
        }
        if (!store.deleteFinished(id)) {
            throw BatchException.notFound(id);
        }
    }

    /** Every item of a finished batch, in item order, one chunk in memory at a time. */
    public void items(Batch batch, Consumer<ItemOutcome> each) {
        store.readItems(batch, each);
    }

    /**
     * Writes the results of a batch whose items all succeeded, in item order, as the elements of a
     * JSON array (without its brackets). A chunk whose items all returned is copied in one write;
     * any other is read item by item.
     */
    public void writeResults(Batch batch, Writer out) throws IOException {
        boolean first = true;
        for (int chunk = 0; chunk < batch.chunkCount(); chunk++) {
            List<BatchStore.StoredChunk> stored = new ArrayList<>(1);
            store.readStoredChunk(batch, chunk, stored::add);
            for (BatchStore.StoredChunk one : stored) {
                int count = batch.itemsInChunk(chunk);
                if (ChunkItems.appendResults(one.status(), one.result(), count, first, out)) {
                    first &= count == 0;
                    continue;
                }
                List<ItemOutcome> items = new ArrayList<>(count);
                ChunkItems.forEach(one.status(), one.result(), one.error(), one.attempts(), chunk * batch.chunksize(), count, items::add);
                for (ItemOutcome item : items) {
                    if (!first) {
                        out.write(',');
                    }
                    out.write(item.result());
                    first = false;
                }
            }
        }
    }

    public List<Integer> finishedChunks(String id) {
        return store.finishedChunks(id);
    }

    public void chunkItems(Batch batch, int chunk, Consumer<ItemOutcome> each) {
        store.readChunk(batch, chunk, each);
    }
}
