package io.jobpool.job;

/** Items of a batch by state; every item is in exactly one, so they add up to the batch's items. */
public record BatchCounts(int total, int queued, int running, int succeeded, int failed, int cancelled, int retried) {}
