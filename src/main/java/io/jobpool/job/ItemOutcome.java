package io.jobpool.job;

/**
 * One item of a batch once its chunk is final: its result (JSON text) or its error.
 *
 * @param attempts how many times the item ran (0 if it never did: its chunk was cancelled first)
 */
public record ItemOutcome(int index, String result, JobError error, int attempts) {

    public boolean succeeded() {
        return error == null;
    }
}
