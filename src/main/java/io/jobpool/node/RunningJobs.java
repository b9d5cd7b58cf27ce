package io.jobpool.node;

import io.jobpool.job.Job;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Jobs this node claimed and has not finished, as they were when claimed. */
public final class RunningJobs {

    private final Map<String, Job> jobs = new ConcurrentHashMap<>();

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
        return Optional.ofNullable(jobs.remove(id));
    }

    /** Ids of the jobs this node works on now. */
    public java.util.Set<String> ids() {
        return java.util.Set.copyOf(jobs.keySet());
    }
}
