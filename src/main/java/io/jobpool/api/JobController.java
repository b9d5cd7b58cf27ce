package io.jobpool.api;

import io.jobpool.config.JobpoolProperties;
import io.jobpool.job.Job;
import io.jobpool.job.JobException;
import io.jobpool.job.JobLimits;
import io.jobpool.job.JobQuery;
import io.jobpool.job.JobService;
import io.jobpool.job.JobStatus;
import io.jobpool.job.JobView;
import io.jobpool.job.ListedJobs;
import io.jobpool.job.LocalNode;
import io.jobpool.security.Caller;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
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

/**
 * {@code /v1/jobs}: Python's {@code apply_async} / {@code apply} and {@code AsyncResult}. Waiting
 * endpoints block a virtual thread, so thousands of long-polls cost no platform threads.
 */
@RestController
// produces: a request whose Accept rules out JSON is refused (406) before the handler runs, so a
// submit, cancel or close whose answer the client cannot take has no effect either.
@RequestMapping(value = "/v1/jobs", produces = MediaType.APPLICATION_JSON_VALUE)
class JobController {

    /** A page stops growing past this much argument and result text; the cursor leads on. */
    static final long MAX_PAGE_BYTES = 8L * 1024 * 1024;

    private final JobService jobs;
    private final LongPolls longPolls;
    private final LocalNode node;
    private final Duration maxWait;
    private final JobLimits limits;

    JobController(JobService jobs, LongPolls longPolls, LocalNode node, JobLimits limits, JobpoolProperties properties) {
        this.jobs = jobs;
        this.limits = limits;
        this.longPolls = longPolls;
        this.node = node;
        this.maxWait = properties.jobs().maxWait();
    }

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<JobView> submit(@RequestBody SubmitRequest request, @RequestParam(required = false) String wait,
            @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey, HttpServletRequest http) {
        Duration waitFor = waitParameter("wait", wait);
        Caller caller = Caller.current();
        Job job;
        if (waitFor.isZero()) {
            job = jobs.submit(request.toSubmission(caller.owner(), idempotencyKey, limits)).job();
        } else {
            // The permit is taken before the job is created, so a refused wait creates nothing.
            try (var permit = longPolls.acquire(caller)) {
                job = jobs.submitAndWait(request.toSubmission(caller.owner(), idempotencyKey, limits), waitFor,
                        ClientConnectionValve.clientGone(http)).job();
            }
        }
        return ResponseEntity.status(job.ready() ? HttpStatus.OK : HttpStatus.ACCEPTED)
                .location(URI.create("/v1/jobs/" + job.id()))
                .body(view(job));
    }

    @GetMapping("/{id}")
    JobView get(@PathVariable String id, @RequestParam(required = false) String wait, HttpServletRequest http) {
        Job job = getOrAwait(id, waitParameter("wait", wait), http);
        return JobView.of(job, runningPid(job), jobs.attemptErrors(job.id()));
    }

    @GetMapping("/{id}/ready")
    Map<String, Boolean> ready(@PathVariable String id) {
        return Map.of("ready", jobs.get(id, visibleOwner()).ready());
    }

    @GetMapping("/{id}/successful")
    Map<String, Boolean> successful(@PathVariable String id) {
        Job job = jobs.get(id, visibleOwner());
        if (!job.ready()) {
            throw JobException.notReady(id);
        }
        return Map.of("successful", job.successful());
    }

    /** {@code AsyncResult.get(timeout)}: the result, 202 while not ready, 424 when it failed. */
    @GetMapping("/{id}/result")
    ResponseEntity<?> result(@PathVariable String id, @RequestParam(required = false) String timeout, HttpServletRequest http) {
        Job job = getOrAwait(id, waitParameter("timeout", timeout), http);
        return switch (job.status()) {
            case SUCCEEDED -> ResponseEntity.ok(new ResultView(job.result()));
            case FAILED, CANCELLED -> throw new JobOutcomeException(job);
            case QUEUED, RUNNING -> ResponseEntity.status(HttpStatus.ACCEPTED)
                    .header(HttpHeaders.RETRY_AFTER, "1").body(view(job));
        };
    }

    @PostMapping("/{id}/cancel")
    JobView cancel(@PathVariable String id) {
        return view(jobs.cancel(id, visibleOwner()));
    }

    @DeleteMapping("/{id}")
    ResponseEntity<Void> forget(@PathVariable String id) {
        jobs.forget(id, visibleOwner());
        return ResponseEntity.noContent().build();
    }

    @GetMapping(value = "/{id}/logs", produces = MediaType.TEXT_PLAIN_VALUE)
    ResponseEntity<String> logs(@PathVariable String id) {
        return ResponseEntity.ok().contentType(new MediaType(MediaType.TEXT_PLAIN, StandardCharsets.UTF_8))
                .body(jobs.logs(id, visibleOwner()));
    }

    @GetMapping
    JobPage list(@RequestParam(required = false) String status, @RequestParam(required = false) String task,
            @RequestParam(required = false) String batch, @RequestParam(required = false) String limit,
            @RequestParam(required = false) String cursor) {
        int pageSize = pageSize(limit);
        if (task != null && (task.isEmpty() || task.length() > 200)) {
            throw JobException.validation("task", "must be a task name of 1 to 200 characters");
        }
        if (batch != null && batch.isEmpty()) {
            throw JobException.validation("batch", "must be a batch id");
        }
        ListedJobs page = jobs.list(new JobQuery(status(status), task, batch, visibleOwner(), decodeCursor(cursor), pageSize,
                MAX_PAGE_BYTES));
        String next = page.more() ? encodeCursor(page.jobs().getLast().id()) : null;
        return new JobPage(page.jobs().stream().map(this::view).toList(), next);
    }

    /**
     * {@code limit} as the plain decimal the specification says: Spring's own conversion would also
     * take {@code 0x10}, {@code +5} or {@code " 5"}.
     */
    private static int pageSize(String limit) {
        if (limit == null) {
            return 100;
        }
        if (!limit.matches("[0-9]{1,9}") || Integer.parseInt(limit) < 1 || Integer.parseInt(limit) > 1000) {
            throw JobException.validation("limit", "must be a whole number between 1 and 1000");
        }
        return Integer.parseInt(limit);
    }

    /** The job now, or once it is ready or {@code waitFor} has passed (one of the caller's long-polls). */
    private Job getOrAwait(String id, Duration waitFor, HttpServletRequest http) {
        Caller caller = Caller.current();
        if (waitFor.isZero()) {
            return jobs.get(id, caller.visibleOwner());
        }
        try (var permit = longPolls.acquire(caller)) {
            return jobs.await(id, caller.visibleOwner(), waitFor, ClientConnectionValve.clientGone(http));
        }
    }

    /** Another key's job is answered as unknown: 404, and absent from lists. */
    private static String visibleOwner() {
        return Caller.current().visibleOwner();
    }

    private static JobStatus status(String status) {
        if (status == null) {
            return null;
        }
        try {
            return JobStatus.valueOf(status.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw JobException.validation("status", "must be one of " + List.of(JobStatus.values()));
        }
    }

    private static String encodeCursor(String id) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(id.getBytes(StandardCharsets.UTF_8));
    }

    private static String decodeCursor(String cursor) {
        if (cursor == null) {
            return null;
        }
        try {
            String id = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            if (!id.matches("[0-9a-f-]{36}")) {
                throw new IllegalArgumentException(id);
            }
            return id;
        } catch (IllegalArgumentException e) {
            throw JobException.validation("cursor", "is not a cursor this service issued");
        }
    }

    private Duration waitParameter(String name, String seconds) {
        return WaitParameter.of(name, seconds, maxWait);
    }

    private JobView view(Job job) {
        return JobView.of(job, runningPid(job));
    }

    private Long runningPid(Job job) {
        if (job.workerPid() == null && job.status() == JobStatus.RUNNING) {
            return node.workerPid(job.id()).orElse(null);
        }
        return null;
    }

    /** {@code {"result": ...}} with the stored JSON written as is. */
    record ResultView(@com.fasterxml.jackson.annotation.JsonRawValue String result) {}

    /** One page of the job list; {@code next} is the cursor of the following page. */
    record JobPage(List<JobView> items, String next) {}
}
