package io.jobpool.webhook;

import java.time.Duration;

/**
 * What one attempt got back.
 *
 * @param statusCode the HTTP status, or {@code null} without an answer
 * @param error why the attempt failed without a usable answer, or {@code null}
 * @param retryAfter the receiver's {@code Retry-After}, or {@code null}
 */
record AttemptResult(Integer statusCode, String error, Duration retryAfter, Duration took) {

    static AttemptResult answered(int statusCode, String error, Duration retryAfter, Duration took) {
        return new AttemptResult(statusCode, error, retryAfter, took);
    }

    static AttemptResult failed(String error, Duration took) {
        return new AttemptResult(null, error, null, took);
    }

    boolean succeeded() {
        return statusCode != null && statusCode >= 200 && statusCode < 300 && error == null;
    }

    boolean gone() {
        return statusCode != null && statusCode == 410;
    }

    String describe() {
        return error != null ? error : "HTTP " + statusCode;
    }
}
