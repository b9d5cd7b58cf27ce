package io.jobpool.job;

/**
 * Why a job failed: the exception class (or {@code TimeoutError}, {@code WorkerLostError},
 * {@code ResultTooLargeError}), its message and the formatted stack trace, like Python's
 * {@code ExceptionWithTraceback}.
 */
public record JobError(String type, String message, String trace) {}
