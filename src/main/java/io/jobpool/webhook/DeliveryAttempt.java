package io.jobpool.webhook;

import java.time.Duration;
import java.time.Instant;

/**
 * One attempt of a delivery.
 *
 * @param statusCode the receiver's HTTP status, {@code null} when there was no answer
 * @param error why the attempt failed without a usable answer (connection, timeout, redirect,
 *     refused target); {@code null} otherwise
 */
public record DeliveryAttempt(int attempt, Instant at, Duration took, Integer statusCode, String error) {}
