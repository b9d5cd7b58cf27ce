package io.jobpool.api;

import io.jobpool.job.BatchItems;
import io.jobpool.job.BatchSubmission;
import io.jobpool.job.JobException;
import io.jobpool.job.JobLimits;
import io.jobpool.job.Submission;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.annotation.JsonDeserialize;

/** Body of {@code POST /v1/batches}; unknown fields are refused by the JSON reader. */
record BatchRequest(
        JsonNode task, @JsonDeserialize(using = BatchItemsReader.class) BatchItems items, Boolean starmap, Integer chunksize,
        Double timeoutSeconds, Integer priority, Double delaySeconds, Integer maxRetries, String callbackUrl, String errorCallbackUrl) {

    /** Checks shape and types; the job options are checked exactly as a job's are, in the same answer. */
    BatchSubmission toSubmission(String owner, String idempotencyKey, JobLimits limits) {
        List<JobException.FieldError> errors = new ArrayList<>();
        if (items == null) {
            errors.add(new JobException.FieldError("items", "is required"));
        } else if (!items.isArray()) {
            errors.add(new JobException.FieldError("items", "must be an array"));
        }
        Submission options = new SubmitRequest(task, null, null, timeoutSeconds, priority, delaySeconds, maxRetries,
                callbackUrl, errorCallbackUrl).toSubmission(owner, idempotencyKey, limits, errors);
        return new BatchSubmission(options.task(), items, Boolean.TRUE.equals(starmap), chunksize, options.timeout(),
                options.priority(), options.delay(), options.maxRetries(), options.callbackUrl(), options.errorCallbackUrl(),
                owner, options.idempotencyKey());
    }
}
