package io.jobpool.store;

import io.jobpool.job.Job;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Per-task concurrency caps ({@code jobpool.tasks.<name>.max-concurrency}), enforced inside the
 * claim transaction so they hold across every node. Tasks at their cap are left out of the claim's
 * candidates, so other tasks' jobs flow past them; a claim that would start a capped task first
 * locks that task's row in {@code task_claim_locks} (always in name order, so claimers never
 * deadlock) and counts its RUNNING jobs again under the lock, so two nodes never both take the
 * last place. On the embedded store only this process's one writer claims, so no lock is taken
 * (SQLite has no row locks; its write transaction already excludes every other writer).
 *
 * <p>A job cancelled while it ran keeps its place until its worker is dead: the cancel is stored
 * first and the kill follows (SIGTERM, then SIGKILL after the kill grace), and a task that handles
 * SIGTERM runs on meanwhile. Counted as RUNNING only, the next capped job started at the cancel and
 * two ran at once under a cap of one. The node that killed the worker records it (the job's log is
 * stored then); a node that died before it did frees the place after {@link #DYING_BOUND}.
 */
final class TaskCaps {

    /**
     * A job cancelled after it started whose worker's end its node has not recorded yet (with the
     * log, {@code recordCancelledWorker}): the cancel clears the log, the record writes it.
     */
    static final String WORKER_END_UNRECORDED = "status = 'CANCELLED' AND started_at IS NOT NULL AND logs IS NULL";

    /** Longest a cancelled job's place waits for its worker's death to be recorded. */
    static final java.time.Duration DYING_BOUND = java.time.Duration.ofSeconds(30);

    private final JdbcClient jdbc;
    private final Map<String, Integer> caps;
    private final String lockClause;

    TaskCaps(JdbcClient jdbc, Map<String, Integer> caps, boolean embedded) {
        this.jdbc = jdbc;
        this.lockClause = embedded ? "" : " FOR UPDATE";
        this.caps = Map.copyOf(caps);
        for (String task : caps.keySet()) {
            try {
                long present = jdbc.sql("SELECT COUNT(*) FROM task_claim_locks WHERE task = :task").param("task", task)
                        .query(Long.class).single();
                if (present == 0) {
                    jdbc.sql("INSERT INTO task_claim_locks (task) VALUES (:task)").param("task", task).update();
                }
            } catch (DuplicateKeyException anotherNodeAddedIt) {
                // The row exists: that is all this needs.
            }
        }
    }

    boolean caps(String task) {
        return caps.containsKey(task);
    }

    boolean active() {
        return !caps.isEmpty();
    }

    Set<String> names() {
        return Set.copyOf(caps.keySet());
    }

    /** Capped tasks that have no free place now (read without locks: a hint to filter candidates). */
    Set<String> full(java.time.Instant now) {
        Set<String> full = new HashSet<>();
        running(caps.keySet(), now).forEach((task, running) -> {
            if (running >= caps.get(task)) {
                full.add(task);
            }
        });
        return full;
    }

    /**
     * Of the locked candidates, in order, those that may start: every uncapped job, and capped ones
     * up to the places left, counted under the task's lock.
     */
    List<Job> admit(List<Job> candidates, java.time.Instant now) {
        Set<String> capped = new TreeSet<>();
        candidates.stream().map(Job::task).filter(caps::containsKey).forEach(capped::add);
        if (capped.isEmpty()) {
            return candidates;
        }
        jdbc.sql("SELECT task FROM task_claim_locks WHERE task IN (:tasks) ORDER BY task" + lockClause)
                .param("tasks", capped).query(String.class).list();
        Map<String, Integer> places = new HashMap<>();
        Map<String, Long> running = running(capped, now);
        for (String task : capped) {
            places.put(task, (int) Math.max(0, caps.get(task) - running.getOrDefault(task, 0L)));
        }
        List<Job> admitted = new ArrayList<>(candidates.size());
        for (Job job : candidates) {
            Integer left = places.get(job.task());
            if (left == null) {
                admitted.add(job);
            } else if (left > 0) {
                places.put(job.task(), left - 1);
                admitted.add(job);
            }
        }
        return admitted;
    }

    /** Jobs holding a place: running, or cancelled while running with their worker's death not yet recorded. */
    private Map<String, Long> running(Set<String> tasks, java.time.Instant now) {
        Map<String, Long> running = new HashMap<>();
        jdbc.sql("SELECT task, COUNT(*) AS n FROM jobs WHERE task IN (:tasks) AND (status = 'RUNNING' OR "
                        + WORKER_END_UNRECORDED + " AND finished_at > :dyingSince) GROUP BY task")
                .param("tasks", tasks).param("dyingSince", now.minus(DYING_BOUND).toEpochMilli())
                .query(rs -> {
                    running.put(rs.getString("task"), rs.getLong("n"));
                });
        return running;
    }
}
