package io.jobpool.testing.plugin;

import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;

/**
 * A test task that leaves a child running with the worker's descriptors ({@code inheritIO()}); the
 * child answers the SIGTERM that kills it, after the job ended, by writing a line without a newline
 * (a later job's first line must not take it up).
 */
public final class LeftoverChatter implements Task {

    @Override
    public String name() {
        return "test-leftover-chatter";
    }

    @Override
    public String description() {
        return "Test: leaves a child running that writes 'leftover-was-here' without a newline when it gets SIGTERM.";
    }

    @Override
    public Object run(TaskArguments arguments, TaskContext context) throws Exception {
        java.nio.file.Path started = java.nio.file.Files.createTempFile("leftover-chatter", ".started");
        java.nio.file.Files.delete(started);
        Process child = new ProcessBuilder("sh", "-c", "trap 'printf leftover-%s was-here; exit 0' TERM; echo child-started; "
                + "touch \"$0\"; while :; do sleep 0.05; done", started.toString()).inheritIO().start();
        // Returns once the child has printed its first line: that line is this job's, the rest is not.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!java.nio.file.Files.exists(started) && System.nanoTime() - deadline < 0 && child.isAlive()) {
            Thread.sleep(2); // polling for the file: the child has no other way to say it printed
        }
        java.nio.file.Files.deleteIfExists(started);
        return child.pid();
    }
}
