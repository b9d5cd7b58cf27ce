package io.jobpool.testing.plugin;

import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;

/**
 * A test task that runs a tool with the common {@code inheritIO()}: the child writes to the
 * worker's descriptors 1 and 2 and reads its descriptor 0 to the end ({@code cat}), which must be
 * empty, not the server's frames. Its last output has no newline.
 */
public final class InheritIoChild implements Task {

    @Override
    public String name() {
        return "test-inherit-io";
    }

    @Override
    public String description() {
        return "Test: runs sh -c 'echo from-child; cat; echo from-child-stderr >&2; printf no-newline-at-end' with inheritIO and returns its exit code.";
    }

    @Override
    public Object run(TaskArguments arguments, TaskContext context) throws Exception {
        return new ProcessBuilder("sh", "-c", "echo from-child; cat; echo from-child-stderr >&2; printf no-newline-at-end").inheritIO().start().waitFor();
    }
}
