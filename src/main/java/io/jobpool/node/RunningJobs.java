package io.jobpool.node;

import io.jobpool.job.Job;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Jobs this node claimed and has not finished, as they were when claimed. */
public final class RunningJobs {

    private final Map<String, Job> jobs = new ConcurrentHashMap<>();
    /** Jobs whose outcome is being written: the store may show them final while they are still here. */
    private final java.util.Set<String> finishing = ConcurrentHashMap.newKeySet();

    public void add(Job job) {
        jobs.put(job.id(), job);
    }

    public Optional<Job> get(String id) {
        return Optional.ofNullable(jobs.get(id));
    }

    public boolean contains(String id) {
        return jobs.containsKey(id);
    }

    public Optional<Job> remove(String id) {
        finishing.remove(id);
        return Optional.ofNullable(jobs.remove(id));
    }

    /** The job's worker has returned and its outcome is being written; it stays until {@link #remove}. */
    public void finishing(String id) {
        if (jobs.containsKey(id)) {
            finishing.add(id);
        }
    }

    /**
     * Whether this node still runs the job's task: it holds the job and no outcome of it is being
     * written. Only such a job has a worker to kill when the store says it was taken away.
     */
    public boolean stillRunning(String id) {
        return jobs.containsKey(id) && !finishing.contains(id);
    }

    /** Ids of the jobs this node works on now. */
    public java.util.Set<String> ids() {
        return java.util.Set.copyOf(jobs.keySet());
    }
}
