package io.jobpool.testing.plugin;

import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;

/**
 * A test task that leaves a shell running whose exit trap starts {@code sleep <seconds>} in the
 * background: the SIGTERM that kills the shell at the end of the job creates a process the pool's
 * scan could not have seen. The race of a shell that forks just as it is scanned (a task's
 * {@code Popen("sleep 60 &", shell=True)}), made deterministic. Returns the shell's pid.
 */
public final class ForkOnTerm implements Task {

    @Override
    public String name() {
        return "test-fork-on-term";
    }

    @Override
    public String description() {
        return "Test: leaves a shell running that starts 'sleep <seconds>' in the background when it gets SIGTERM.";
    }

    @Override
    public Object run(TaskArguments arguments, TaskContext context) throws Exception {
        String seconds = arguments.string(0, "seconds");
        java.nio.file.Path started = java.nio.file.Files.createTempFile("fork-on-term", ".started");
        java.nio.file.Files.delete(started);
        Process shell = new ProcessBuilder("sh", "-c", "trap 'sleep \"$0\" & exit 0' TERM; touch \"$1\"; while :; do sleep 0.05; done",
                seconds, started.toString())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        // Returns once the trap is set: a SIGTERM before it would end the shell without the fork.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!java.nio.file.Files.exists(started) && System.nanoTime() - deadline < 0 && shell.isAlive()) {
            Thread.sleep(2); // polling for the file: the shell has no other way to say the trap is set
        }
        java.nio.file.Files.deleteIfExists(started);
        return shell.pid();
    }
}
