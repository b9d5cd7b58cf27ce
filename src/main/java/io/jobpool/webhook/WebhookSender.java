package io.jobpool.webhook;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.springframework.boot.http.client.FilteredHostException;
import org.springframework.boot.http.client.HttpClientSettings;
import org.springframework.boot.http.client.HttpRedirects;
import org.springframework.boot.http.client.JdkHttpClientBuilder;

/**
 * Sends one attempt of a delivery: signed POST, bounded in time, redirects never followed.
 *
 * <p>The target is checked twice right before sending: by {@link TargetGuard} (every address the
 * host resolves to must be public) and by the HTTP client itself, built with Spring Boot's
 * {@code InetAddressFilter}, when the connection is made. Both resolve through the JVM's address
 * cache, so the connection goes to the address that was checked.
 */
final class WebhookSender implements AutoCloseable {

    /** What the JDK client throws for a 204 with a non-zero {@code Content-Length} (jdk.internal.net.http.Http1Response). */
    static final String NO_CONTENT_WITH_LENGTH = "unexpected content length header with 204 response";

    private static final String USER_AGENT = "jobpool-webhooks/1";

    private final TargetGuard guard;
    private final WebhookSigner signer;
    private final Duration timeout;
    private final Clock clock;
    private final HttpClient filtered;
    private final HttpClient unfiltered;

    WebhookSender(TargetGuard guard, WebhookSigner signer, Duration timeout, Clock clock) {
        this.guard = guard;
        this.signer = signer;
        this.timeout = timeout;
        this.clock = clock;
        // The read timeout is per request for the JDK client (HttpRequest.timeout below).
        HttpClientSettings settings = HttpClientSettings.defaults()
                .withRedirects(HttpRedirects.DONT_FOLLOW)
                .withConnectTimeout(timeout);
        // HTTP/1.1: over plain http the JDK would otherwise try an h2c upgrade on every request.
        JdkHttpClientBuilder builder = new JdkHttpClientBuilder().withCustomizer(b -> b.version(HttpClient.Version.HTTP_1_1));
        this.filtered = builder.build(settings.withInetAddressFilter(TargetGuard.PUBLIC));
        this.unfiltered = builder.build(settings);
    }

    /**
     * Makes one attempt. Never throws for anything the receiver or the network does: that is a
     * failed attempt. Throws {@link InterruptedException} on shutdown, when the attempt is not recorded.
     */
    AttemptResult send(Delivery delivery) throws InterruptedException {
        long started = System.nanoTime();
        Optional<String> refused = guard.refusal(delivery.url());
        if (refused.isPresent()) {
            return AttemptResult.failed("target refused: " + refused.get(), since(started));
        }
        URI uri = URI.create(delivery.url());
        long timestamp = clock.instant().getEpochSecond();
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("User-Agent", USER_AGENT)
                .header("webhook-id", delivery.webhookId())
                .header("webhook-timestamp", Long.toString(timestamp))
                .POST(HttpRequest.BodyPublishers.ofString(delivery.payload(), StandardCharsets.UTF_8));
        String signature = signer.sign(delivery.webhookId(), timestamp, delivery.payload());
        if (signature != null) {
            request.header("webhook-signature", signature);
        }
        HttpClient client = guard.trusted(uri) ? unfiltered : filtered;
        CompletableFuture<HttpResponse<Void>> exchange;
        CompletableFuture<HttpResponse.ResponseInfo> head = new CompletableFuture<>();
        try {
            exchange = client.sendAsync(request.build(), info -> {
                head.complete(info);
                return HttpResponse.BodySubscribers.discarding();
            });
        } catch (FilteredHostException e) {
            // The client's proxy selector resolves the host as the request starts and throws here.
            return AttemptResult.failed("target refused at connect: host " + e.getHost()
                    + " no longer resolves to a public address", since(started));
        }
        try {
            // The request timeout covers the connection and the response headers; this bounds a
            // receiver that trickles its body, so one slow receiver cannot hold a sender forever.
            HttpResponse<Void> response = exchange.get(timeout.multipliedBy(2).toMillis(), TimeUnit.MILLISECONDS);
            return answered(response.statusCode(), response.headers(), since(started));
        } catch (TimeoutException e) {
            exchange.cancel(true);
            // The status line came and only the body trickles: the receiver has answered, and a
            // 2xx delivers (counted a failure, it was sent again and again to a receiver that had it).
            HttpResponse.ResponseInfo answered = head.getNow(null);
            if (answered != null) {
                return answered(answered.statusCode(), answered.headers(), since(started));
            }
            return AttemptResult.failed("no complete response within " + timeout.multipliedBy(2).toSeconds() + " s", since(started));
        } catch (ExecutionException e) {
            // A 204 that also declares a body breaks RFC 9110 and the JDK client refuses it before
            // the response is handed over; the receiver has answered 2xx all the same. Failed, the
            // delivery was sent again on every step of the schedule and ended FAILED.
            if (e.getCause() instanceof java.io.IOException io && NO_CONTENT_WITH_LENGTH.equals(io.getMessage())) {
                return answered(204, java.net.http.HttpHeaders.of(java.util.Map.of(), (name, value) -> true), since(started));
            }
            return AttemptResult.failed(describe(e.getCause()), since(started));
        } catch (InterruptedException e) {
            exchange.cancel(true);
            throw e;
        }
    }

    private AttemptResult answered(int status, java.net.http.HttpHeaders headers, Duration took) {
        Duration retryAfter = retryAfter(headers.firstValue("Retry-After").orElse(null), clock.instant());
        if (status >= 300 && status < 400) {
            String location = headers.firstValue("Location").orElse("nowhere");
            return AttemptResult.answered(status, "redirect to " + location + " not followed; the callback URL should be the final one",
                    retryAfter, took);
        }
        return AttemptResult.answered(status, null, retryAfter, took);
    }

    /**
     * {@code Retry-After} as delay-seconds or an HTTP date in any of the three forms RFC 9110 has a
     * recipient accept (IMF-fixdate, RFC 850, asctime); {@code null} when absent or unreadable.
     */
    static Duration retryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String text = value.strip();
        if (text.chars().allMatch(Character::isDigit)) {
            return text.length() > 9 ? RetryPolicy.MAX_RETRY_AFTER : Duration.ofSeconds(Long.parseLong(text));
        }
        Instant at = httpDate(text, now);
        if (at == null) {
            return null;
        }
        Duration until = Duration.between(now, at);
        return until.isNegative() ? Duration.ZERO : until;
    }

    private static final DateTimeFormatter ASCTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", java.util.Locale.US)
            .withZone(java.time.ZoneOffset.UTC);

    private static Instant httpDate(String text, Instant now) {
        try {
            return ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException notImfFixdate) {
            // RFC 850's two-digit year: RFC 9110 reads one more than 50 years ahead as the past's.
            int thisYear = now.atZone(java.time.ZoneOffset.UTC).getYear();
            DateTimeFormatter rfc850 = new java.time.format.DateTimeFormatterBuilder().parseCaseInsensitive()
                    .appendPattern("EEEE, dd-MMM-").appendValueReduced(java.time.temporal.ChronoField.YEAR, 2, 2, thisYear - 49)
                    .appendPattern(" HH:mm:ss zzz").toFormatter(java.util.Locale.US);
            for (DateTimeFormatter form : List.of(rfc850, ASCTIME)) {
                try {
                    return ZonedDateTime.parse(text, form).toInstant();
                } catch (DateTimeParseException notThisForm) {
                    // the next form
                }
            }
            return null;
        }
    }

    /**
     * The error of an attempt, for the delivery's {@code lastError}: the JDK's client often throws
     * a bare {@code ConnectException} whose reason is only in its cause.
     */
    static String describe(Throwable e) {
        String type = e.getClass().getSimpleName();
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            String message = cause.getMessage();
            if (message != null && !message.isBlank()) {
                return type + ": " + message;
            }
        }
        return e instanceof java.net.ConnectException ? type + ": could not connect to the target" : type;
    }

    private static Duration since(long startedNanos) {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    @Override
    public void close() {
        filtered.close();
        unfiltered.close();
    }
}
