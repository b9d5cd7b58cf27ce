package io.jobpool.spi;

/** What a running task may know and report about its job. */
public interface TaskContext {

    /** The id of the job being run. */
    String jobId();

    /** 1 on the first run, 2 on the first retry and so on. */
    int attempt();

    /** Reports progress between 0 and 1 with an optional message. */
    void progress(double fraction, String message);

    /** Appends a line to the job's log (the same place {@code System.out} goes). */
    void log(String line);
}
