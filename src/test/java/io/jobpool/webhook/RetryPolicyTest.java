package io.jobpool.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tests for {@link RetryPolicy} and how {@link WebhookSender} reads {@code Retry-After}. */
class RetryPolicyTest {

    private static final Instant NOW = Instant.parse("2025-11-21T09:30:00Z");
    private final RetryPolicy policy = new RetryPolicy(List.of(Duration.ZERO, Duration.ofSeconds(5), Duration.ofMinutes(5)));

    @Test
    void a2xxAnswerDelivers() {
        assertThat(policy.judge(1, answer(204, null), NOW)).isEqualTo(new RetryPolicy.Verdict(DeliveryStatus.DELIVERED, null, null));
    }

    @Test
    void a410AnswerStopsAtOnce() {
        RetryPolicy.Verdict verdict = policy.judge(1, answer(410, null), NOW);

        assertThat(verdict.status()).isEqualTo(DeliveryStatus.STOPPED);
        assertThat(verdict.nextAttemptAt()).isNull();
    }

    @Test
    void aFailedAttemptWaitsTheScheduledDelayBeforeTheNextWithAtMostTenPercentJitter() {
        RetryPolicy.Verdict afterFirst = policy.judge(1, answer(500, null), NOW);
        RetryPolicy.Verdict afterSecond = policy.judge(2, AttemptResult.failed("ConnectException", Duration.ZERO), NOW);

        assertThat(afterFirst.status()).isEqualTo(DeliveryStatus.PENDING);
        assertThat(afterFirst.reason()).isEqualTo("HTTP 500");
        assertThat(afterFirst.nextAttemptAt()).isBetween(NOW.plusSeconds(5), NOW.plusMillis(5_500));
        assertThat(afterSecond.nextAttemptAt()).isBetween(NOW.plusSeconds(300), NOW.plusSeconds(330));
        assertThat(afterSecond.reason()).isEqualTo("ConnectException");
    }

    @Test
    void givesUpWhenTheScheduleRunsOutAndSaysWhy() {
        RetryPolicy.Verdict verdict = policy.judge(3, answer(503, null), NOW);

        assertThat(verdict.status()).isEqualTo(DeliveryStatus.FAILED);
        assertThat(verdict.nextAttemptAt()).isNull();
        assertThat(verdict.reason()).isEqualTo("gave up after 3 attempts (jobpool.webhooks.retry-schedule); last: HTTP 503");
    }

    @Test
    void aRedirectIsAFailedAttempt() {
        AttemptResult redirect = AttemptResult.answered(302, "redirect to https://elsewhere/ not followed", null, Duration.ZERO);

        assertThat(policy.judge(1, redirect, NOW).status()).isEqualTo(DeliveryStatus.PENDING);
    }

    @Test
    void retryAfterLongerThanTheScheduleIsHonouredUpToADay() {
        assertThat(policy.judge(1, answer(429, Duration.ofMinutes(2)), NOW).nextAttemptAt()).isEqualTo(NOW.plusSeconds(120));
        assertThat(policy.judge(1, answer(503, Duration.ofDays(30)), NOW).nextAttemptAt()).isEqualTo(NOW.plus(Duration.ofHours(24)));
    }

    @Test
    void retryAfterShorterThanTheScheduleDoesNotHurryTheNextAttempt() {
        assertThat(policy.judge(2, answer(503, Duration.ofSeconds(1)), NOW).nextAttemptAt()).isAfterOrEqualTo(NOW.plusSeconds(300));
    }

    @Test
    void readsRetryAfterAsSecondsOrAsAnHttpDate() {
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.plusSeconds(90).atOffset(ZoneOffset.UTC));

        assertThat(WebhookSender.retryAfter("120", NOW)).isEqualTo(Duration.ofSeconds(120));
        assertThat(WebhookSender.retryAfter(date, NOW)).isEqualTo(Duration.ofSeconds(90));
        assertThat(WebhookSender.retryAfter("Thu, 01 Jan 2015 00:00:00 GMT", NOW)).isEqualTo(Duration.ZERO);
        assertThat(WebhookSender.retryAfter("soon", NOW)).isNull();
        assertThat(WebhookSender.retryAfter(null, NOW)).isNull();
    }

    /** RFC 9110 has a recipient accept the two obsolete date forms too (QA: they were taken for no Retry-After). */
    @Test
    void readsRetryAfterInTheObsoleteRfc850AndAsctimeForms() {
        java.time.ZonedDateTime at = NOW.plusSeconds(90).atZone(ZoneOffset.UTC);
        String rfc850 = DateTimeFormatter.ofPattern("EEEE, dd-MMM-yy HH:mm:ss 'GMT'", java.util.Locale.US).format(at);
        String asctime = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", java.util.Locale.US).format(at);

        assertThat(WebhookSender.retryAfter(rfc850, NOW)).as(rfc850).isEqualTo(Duration.ofSeconds(90));
        assertThat(WebhookSender.retryAfter(asctime, NOW)).as(asctime).isEqualTo(Duration.ofSeconds(90));
        assertThat(WebhookSender.retryAfter("Sunday, 06-Nov-94 08:49:37 GMT", NOW)).as("a two-digit year of the past century")
                .isEqualTo(Duration.ZERO);
        assertThat(WebhookSender.retryAfter("Sun Nov  6 08:49:37 1994", NOW)).isEqualTo(Duration.ZERO);
    }

    @Test
    void refusesAnEmptySchedule() {
        assertThatIllegalArgumentException().isThrownBy(() -> new RetryPolicy(List.of()));
    }

    private static AttemptResult answer(int status, Duration retryAfter) {
        return AttemptResult.answered(status, null, retryAfter, Duration.ofMillis(3));
    }
}
