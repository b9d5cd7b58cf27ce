package io.jobpool.job;

/**
 * Decides at submit whether a callback URL may receive webhooks, so a refused target is a 422 to
 * the client rather than a delivery that can never succeed. The webhook package implements it.
 */
@FunctionalInterface
public interface CallbackTargets {

    /**
     * Returns if {@code url} is {@code null} or an allowed target; otherwise throws a
     * {@link JobException} naming {@code field} and why the target is refused.
     */
    void check(String field, String url);
}
