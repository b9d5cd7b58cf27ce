package io.jobpool.job;

/** Tells whoever claims jobs that new work may be due, so it need not wait for its next poll. */
@FunctionalInterface
public interface WorkSignal {
    void jobsAvailable();
}
