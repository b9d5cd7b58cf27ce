package io.jobpool.testing.plugin;

import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;

/**
 * A test task that leaves a thread behind which, once the job has ended, prints 10,000 lines of
 * 100 characters (about 1 MB) outside any job, then a last line, and then creates the file its
 * argument names.
 */
public final class StrayFlood implements Task {

    @Override
    public String name() {
        return "test-stray-flood";
    }

    @Override
    public String description() {
        return "Test: a thread it leaves behind prints about 1 MB after the job ended, then 'flood-done', then creates the file args[0].";
    }

    @Override
    public Object run(TaskArguments arguments, TaskContext context) {
        java.nio.file.Path done = java.nio.file.Path.of(arguments.args().get(0).asString());
        // A virtual thread: the worker does not see it as left running (it retires a worker whose
        // task left platform threads), so the flood reaches the server's log, whose cap is tested.
        Thread.ofVirtual().start(() -> {
            try {
                // After the job's end mark: this output is the worker's own.
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
            String line = "x".repeat(100);
            for (int i = 0; i < 10_000; i++) {
                System.out.println(line);
            }
            System.out.println("flood-done");
            try {
                java.nio.file.Files.createFile(done);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        return "started";
    }
}
