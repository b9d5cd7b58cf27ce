package io.jobpool.webhook;

import java.util.List;

/** A delivery with its attempts, oldest first. */
public record DeliveryHistory(Delivery delivery, List<DeliveryAttempt> attempts) {}
