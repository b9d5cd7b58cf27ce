package io.jobpool.job;

import java.util.Set;

/**
 * Which tasks a claim may take: a pool claims only jobs its workers can run.
 *
 * @param tasks the task names the filter is about
 * @param excluding {@code false}: only these tasks; {@code true}: every task but these
 */
public record ClaimFilter(Set<String> tasks, boolean excluding) {

    public ClaimFilter {
        tasks = Set.copyOf(tasks);
    }

    /** Any task. */
    public static ClaimFilter anyTask() {
        return new ClaimFilter(Set.of(), true);
    }

    /** Only these tasks; none when the set is empty. */
    public static ClaimFilter only(Set<String> tasks) {
        return new ClaimFilter(tasks, false);
    }

    /** Every task but these. */
    public static ClaimFilter except(Set<String> tasks) {
        return new ClaimFilter(tasks, true);
    }

    /** Whether no job can match. */
    public boolean matchesNothing() {
        return !excluding && tasks.isEmpty();
    }

    public boolean matches(String task) {
        return excluding != tasks.contains(task);
    }
}
