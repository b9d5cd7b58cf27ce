package io.jobpool.api;

import io.jobpool.config.JobpoolProperties;
import io.jobpool.job.Batch;
import io.jobpool.job.BatchService;
import io.jobpool.job.BatchView;
import io.jobpool.job.ItemOutcome;
import io.jobpool.job.JobException;
import io.jobpool.job.JobLimits;
import io.jobpool.security.Caller;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code /v1/batches}: Python's {@code map_async} / {@code starmap_async} with a chunksize, their
 * results in order ({@code map}) or as they complete ({@code imap_unordered}, NDJSON). Results are
 * written from the store chunk by chunk as the client reads them, so neither a large batch nor a
 * slow reader holds more than one chunk in server memory.
 */
@RestController
// produces: a request whose Accept rules out JSON is refused (406) before the handler runs, so a
// submit, cancel or close whose answer the client cannot take has no effect either.
@RequestMapping(value = "/v1/batches", produces = MediaType.APPLICATION_JSON_VALUE)
class BatchController {

    static final String NDJSON = "application/x-ndjson";
    private static final Logger log = LoggerFactory.getLogger(BatchController.class);
    private static final Duration STREAM_RECHECK = Duration.ofSeconds(1);

    private final BatchService batches;
    private final JsonMapper json;
    private final Duration maxWait;
    private final LongPolls longPolls;
    private final JobLimits limits;

    BatchController(BatchService batches, JsonMapper json, LongPolls longPolls, JobLimits limits, JobpoolProperties properties) {
        this.longPolls = longPolls;
        this.limits = limits;
        this.batches = batches;
        this.json = json;
        this.maxWait = properties.jobs().maxWait();
    }

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<BatchView> submit(@RequestBody BatchRequest request,
            @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey) {
        BatchService.Submitted submitted = batches.submit(request.toSubmission(Caller.current().owner(), idempotencyKey, limits));
        Batch batch = submitted.batch();
        // As for a job: a retry whose batch has already finished is answered 200, a new batch 202.
        HttpStatus status = !submitted.created() && batch.ready() ? HttpStatus.OK : HttpStatus.ACCEPTED;
        // A new batch is answered as stored, without reading its counts back: the store going out
        // of reach after the commit made that read a 503, and a client without an Idempotency-Key
        // that then sent the batch again stored it twice.
        BatchView body = submitted.created() && !batch.ready() ? BatchView.asStored(batch) : view(batch);
        return ResponseEntity.status(status).location(URI.create("/v1/batches/" + batch.id())).body(body);
    }

    @GetMapping("/{id}")
    BatchView get(@PathVariable String id) {
        return view(batches.get(id, visibleOwner()));
    }

    /** {@code map()}: every result in item order; 202 while not done; 424 listing the failed items. */
    @GetMapping(value = "/{id}/results", produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<?> results(@PathVariable String id, @RequestParam(required = false) String timeout,
            HttpServletRequest request, HttpServletResponse response) throws IOException {
        Duration waitFor = waitParameter(timeout);
        Batch batch;
        if (waitFor.isZero()) {
            batch = batches.get(id, visibleOwner());
        } else {
            // A wait is one of the caller's long-polls, bounded per key like a job's.
            try (var permit = longPolls.acquire(Caller.current())) {
                batch = batches.await(id, visibleOwner(), waitFor, ClientConnectionValve.clientGone(request));
            }
        }
        if (!batch.ready()) {
            return ResponseEntity.status(HttpStatus.ACCEPTED).header(HttpHeaders.RETRY_AFTER, "1").body(view(batch));
        }
        if (batch.failed() > 0 || batch.cancelled() > 0) {
            throw new BatchOutcomeException(batch, failures(batch));
        }
        response.setStatus(HttpServletResponse.SC_OK);
        // No charset parameter, as on every other JSON answer: JSON is UTF-8 (RFC 8259), written so below.
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        // Encoded in 64 KB runs: a chunk whose values are not back to back is written value by value.
        Writer out = new BufferedWriter(new OutputStreamWriter(response.getOutputStream(), StandardCharsets.UTF_8), 1 << 16);
        out.write("{\"results\":[");
        batches.writeResults(batch, out);
        out.write("]}");
        out.flush();
        return null;
    }

    private List<BatchOutcomeException.Failure> failures(Batch batch) {
        List<BatchOutcomeException.Failure> failures = new ArrayList<>();
        batches.items(batch, item -> {
            if (!item.succeeded() && failures.size() < BatchOutcomeException.MAX_LISTED
                    && !"CancelledError".equals(item.error().type())) {
                failures.add(new BatchOutcomeException.Failure(item.index(),
                        new BatchOutcomeException.ItemError(item.error().type(), item.error().message())));
            }
        });
        return failures;
    }

    /**
     * {@code imap_unordered()}: one line per item as its chunk completes, each index exactly once,
     * then the stream closes. Lines are written straight from the store; a reader that stops reading
     * only blocks this request's own (virtual) thread, never the batch.
     */
    @GetMapping(value = "/{id}/results", produces = NDJSON)
    void stream(@PathVariable String id, @RequestParam(required = false) String timeout, HttpServletRequest request,
            HttpServletResponse response) throws IOException {
        // The stream lasts until every item was sent, whatever the timeout; a bad one is still refused
        // as it is with JSON, not silently ignored.
        waitParameter(timeout);
        String owner = visibleOwner();
        Batch batch = batches.get(id, owner);
        // The stream stays open until the batch is done: one of the caller's long-polls.
        try (var permit = longPolls.acquire(Caller.current())) {
            streamItems(id, owner, batch, response, ClientConnectionValve.clientGone(request));
        }
    }

    private void streamItems(String id, String owner, Batch batch, HttpServletResponse response,
            java.util.function.BooleanSupplier connectionGone) throws IOException {
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(NDJSON);
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        OutputStream out = response.getOutputStream();
        out.flush();
        BitSet sent = new BitSet(batch.chunkCount());
        try {
            while (true) {
                CompletableFuture<?> progressed = batches.progressSignal(id);
                batch = batches.get(id, owner);
                for (int chunk : batches.finishedChunks(id)) {
                    if (!sent.get(chunk)) {
                        sent.set(chunk);
                        batches.chunkItems(batch, chunk, item -> write(out, line(item)));
                        out.flush();
                    }
                }
                if (batch.ready() && sent.cardinality() == batch.chunkCount()) {
                    return;
                }
                if (batches.closing()) {
                    // The client reads the rest from another replica, or from this one restarted.
                    log.info("Result stream of batch {} ended by the server's shutdown after {} chunk(s)", id, sent.cardinality());
                    return;
                }
                if (connectionGone.getAsBoolean()) {
                    // Nothing written fails while no chunk finishes: the stream would hold the
                    // caller's long-poll until the batch ended.
                    log.info("Result stream of batch {} ended after {} chunk(s): its client closed the connection", id,
                            sent.cardinality());
                    return;
                }
                batches.awaitProgress(id, progressed, STREAM_RECHECK.toNanos());
            }
        } catch (UncheckedIOException | IOException clientGone) {
            // The client went away, or read nothing for longer than the connection timeout
            // (server.tomcat.connection-timeout bounds a blocked write too).
            log.info("Result stream of batch {} ended after {} chunk(s): its client went away or stopped reading ({})", id,
                    sent.cardinality(), clientGone.getMessage());
        } catch (JobException forgotten) {
            log.info("Result stream of batch {} ended: the batch was forgotten", id);
        } catch (RuntimeException e) {
            if (!io.jobpool.job.StoreErrors.outOfReach(e)) {
                throw e;
            }
            // The answer is under way (200 and some lines): it ends here, short of every index,
            // and the client reads the rest again (openapi: a stream that ends early is read again).
            log.warn("Result stream of batch {} cut short after {} chunk(s): the store is out of reach ({})", id,
                    sent.cardinality(), e.toString());
        }
    }

    private String line(ItemOutcome item) {
        if (item.succeeded()) {
            return "{\"index\":" + item.index() + ",\"result\":" + item.result() + "}\n";
        }
        return json.writeValueAsString(new ErrorLine(item.index(), item.error())) + "\n";
    }

    /** An NDJSON line of an item that failed or was cancelled. */
    record ErrorLine(int index, io.jobpool.job.JobError error) {}

    private static void write(OutputStream out, String text) {
        try {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @PostMapping("/{id}/cancel")
    BatchView cancel(@PathVariable String id) {
        return view(batches.cancel(id, visibleOwner()));
    }

    @DeleteMapping("/{id}")
    ResponseEntity<Void> forget(@PathVariable String id) {
        batches.forget(id, visibleOwner());
        return ResponseEntity.noContent().build();
    }

    /** Another key's batch is answered as unknown: 404. */
    private static String visibleOwner() {
        return Caller.current().visibleOwner();
    }

    private BatchView view(Batch batch) {
        return batch.ready() ? BatchView.finished(batch) : BatchView.of(batch, batches.counts(batch));
    }

    private Duration waitParameter(String seconds) {
        return WaitParameter.of("timeout", seconds, maxWait);
    }
}
