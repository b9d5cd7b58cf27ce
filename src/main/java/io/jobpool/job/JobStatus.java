package io.jobpool.job;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The job state machine. This table is the only definition of which changes are legal; the store
 * checks it in the one method that changes a job's state.
 */
public enum JobStatus {
    QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

    private static final Map<JobStatus, Set<JobStatus>> ALLOWED = Map.of(
            QUEUED, EnumSet.of(RUNNING, CANCELLED),
            // RUNNING -> QUEUED: retry with back-off, redelivery after a lost node, shutdown.
            RUNNING, EnumSet.of(SUCCEEDED, FAILED, CANCELLED, QUEUED),
            SUCCEEDED, EnumSet.noneOf(JobStatus.class),
            FAILED, EnumSet.noneOf(JobStatus.class),
            CANCELLED, EnumSet.noneOf(JobStatus.class));

    public boolean canMoveTo(JobStatus next) {
        return ALLOWED.get(this).contains(next);
    }

    /** Throws {@link IllegalTransitionException} unless {@code this -> next} is in the table. */
    public void requireCanMoveTo(JobStatus next) {
        if (!canMoveTo(next)) {
            throw new IllegalTransitionException(this, next);
        }
    }

    /** SUCCEEDED, FAILED or CANCELLED: {@code ready()} in Python's terms. */
    public boolean isTerminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    /** A change the state table forbids: a bug in the caller, never a client error. */
    public static final class IllegalTransitionException extends IllegalStateException {
        public IllegalTransitionException(JobStatus from, JobStatus to) {
            super("job state cannot change from " + from + " to " + to);
        }
    }
}
