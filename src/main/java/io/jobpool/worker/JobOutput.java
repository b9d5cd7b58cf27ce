package io.jobpool.worker;

/** Where what a job prints goes, told when each job begins and ends. */
interface JobOutput {

    /** Output from now on is {@code jobId}'s. */
    void begin(String jobId);

    /** {@code jobId}'s output ends here: everything its task printed so far goes before its result. */
    void end(String jobId);
}
