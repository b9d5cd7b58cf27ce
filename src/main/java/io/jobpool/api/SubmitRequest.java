package io.jobpool.api;

import io.jobpool.job.JobException;
import io.jobpool.job.JobLimits;
import io.jobpool.job.Submission;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/** Body of {@code POST /v1/jobs}; unknown fields are refused by the JSON reader. */
public record SubmitRequest(
        JsonNode task, JsonNode args, JsonNode kwargs, Double timeoutSeconds, Integer priority, Double delaySeconds,
        Integer maxRetries, String callbackUrl, String errorCallbackUrl) {

    /** Longest callback URL (the store keeps 2,048 characters; browsers and proxies agree on about that). */
    static final int MAX_URL_LENGTH = 2048;

    /**
     * Checks shape, types and the configured bounds of the options, and names every offending field
     * in one answer. The job service checks the bounds again for every submission.
     */
    Submission toSubmission(String owner, String idempotencyKey, JobLimits limits) {
        return toSubmission(owner, idempotencyKey, limits, new ArrayList<>());
    }

    /** @param errors what the caller found wrong already (a batch's own fields), reported with these */
    Submission toSubmission(String owner, String idempotencyKey, JobLimits limits, List<JobException.FieldError> errors) {
        if (task == null || task.isNull()) {
            errors.add(new JobException.FieldError("task", "is required"));
        } else if (!task.isString() || task.stringValue().isBlank()) {
            errors.add(new JobException.FieldError("task", "must be a non-empty string"));
        } else if (task.stringValue().length() > 200) {
            errors.add(new JobException.FieldError("task", "must be at most 200 characters"));
        }
        if (args != null && !args.isNull() && !args.isArray()) {
            errors.add(new JobException.FieldError("args", "must be an array"));
        }
        if (kwargs != null && !kwargs.isNull() && !kwargs.isObject()) {
            errors.add(new JobException.FieldError("kwargs", "must be an object"));
        }
        boolean timeoutFinite = checkFinite(errors, "timeoutSeconds", timeoutSeconds);
        boolean delayFinite = checkFinite(errors, "delaySeconds", delaySeconds);
        Duration timeout = timeoutSeconds == null || !timeoutFinite ? null : seconds(timeoutSeconds);
        Duration delay = delaySeconds == null ? Duration.ZERO : delayFinite ? seconds(delaySeconds) : null;
        limits.checkOptions(errors, timeout, delay, maxRetries == null ? 0 : maxRetries);
        checkUrl(errors, "callbackUrl", callbackUrl);
        checkUrl(errors, "errorCallbackUrl", errorCallbackUrl);
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 200)) {
            errors.add(new JobException.FieldError("Idempotency-Key", "must be 1 to 200 characters"));
        }
        String argsJson = args == null || args.isNull() ? "[]" : args.toString();
        String kwargsJson = kwargs == null || kwargs.isNull() ? "{}" : kwargs.toString();
        checkText(errors, "task", task == null || !task.isString() ? null : task.stringValue());
        checkText(errors, "args", argsJson);
        checkText(errors, "kwargs", kwargsJson);
        checkFiniteNumbers(errors, "args", args);
        checkFiniteNumbers(errors, "kwargs", kwargs);
        if (!errors.isEmpty()) {
            throw JobException.validation(errors);
        }
        return new Submission(task.stringValue(), argsJson, kwargsJson, timeout, priority == null ? 0 : priority, delay,
                maxRetries == null ? 0 : maxRetries, callbackUrl, errorCallbackUrl, owner, idempotencyKey);
    }

    /** @return whether the value is absent or finite (a range check can follow) */
    private static boolean checkFinite(List<JobException.FieldError> errors, String field, Double value) {
        if (value != null && (value.isNaN() || value.isInfinite() || Math.abs(value) > 1e12)) {
            errors.add(new JobException.FieldError(field, "must be a finite number of seconds"));
            return false;
        }
        return true;
    }

    /**
     * JSON escapes can spell a lone UTF-16 surrogate ({@code "\\ud800"}), which no UTF-8 store can
     * keep: it would be saved as "?" and the job would run with an argument the client never sent.
     */
    static void checkText(List<JobException.FieldError> errors, String field, String text) {
        if (text != null && hasLoneSurrogate(text)) {
            errors.add(new JobException.FieldError(field, "contains an unpaired UTF-16 surrogate (not valid Unicode text)"));
        }
    }

    /** A number beyond a double's range is read as infinity, which JSON cannot carry: refused, not changed. */
    private static void checkFiniteNumbers(List<JobException.FieldError> errors, String field, JsonNode node) {
        if (node != null && !allFinite(node)) {
            errors.add(new JobException.FieldError(field, "contains a number too large to represent"));
        }
    }

    private static boolean allFinite(JsonNode node) {
        if (node.isFloatingPointNumber()) {
            return Double.isFinite(node.doubleValue());
        }
        for (JsonNode child : node) {
            if (!allFinite(child)) {
                return false;
            }
        }
        return true;
    }

    static boolean hasLoneSurrogate(String text) {
        return BatchItemsReader.hasLoneSurrogate(text.toCharArray(), 0, text.length());
    }

    private static void checkUrl(List<JobException.FieldError> errors, String field, String url) {
        if (url == null) {
            return;
        }
        if (url.length() > MAX_URL_LENGTH) {
            errors.add(new JobException.FieldError(field, "must be at most " + MAX_URL_LENGTH + " characters"));
            return;
        }
        if (hasLoneSurrogate(url)) {
            errors.add(new JobException.FieldError(field, "contains an unpaired UTF-16 surrogate (not valid Unicode text)"));
            return;
        }
        try {
            URI uri = new URI(url);
            if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
                errors.add(new JobException.FieldError(field, "must be an absolute http or https URL with a host (a name or a whole IP address)"));
            } else if (uri.getPort() != -1 && (uri.getPort() < 1 || uri.getPort() > 65535)) {
                // Accepted, it would fail every delivery attempt for days of retries.
                errors.add(new JobException.FieldError(field, "has port " + uri.getPort() + "; a port is 1 to 65535"));
            } else if (uri.getRawUserInfo() != null) {
                errors.add(new JobException.FieldError(field, "must not carry credentials (user:password@): the URL is stored and"
                        + " shown with the job and its deliveries; a receiver authenticates a delivery by its webhook-signature"));
            }
        } catch (java.net.URISyntaxException e) {
            errors.add(new JobException.FieldError(field, "is not a valid URL: " + e.getReason()));
        }
    }

    static Duration seconds(double seconds) {
        return Duration.ofNanos(Math.round(seconds * 1_000_000_000d));
    }
}
