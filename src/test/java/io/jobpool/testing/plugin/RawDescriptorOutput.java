package io.jobpool.testing.plugin;

import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A test task that writes to the worker's real descriptors 1 and 2, as native code does, past
 * {@code System.out}. Not closed: that would close descriptor 1 itself.
 */
public final class RawDescriptorOutput implements Task {

    @Override
    public String name() {
        return "test-raw-descriptors";
    }

    @Override
    public String description() {
        return "Test: writes to FileDescriptor.out and FileDescriptor.err directly.";
    }

    @Override
    @SuppressWarnings("resource")
    public Object run(TaskArguments arguments, TaskContext context) throws Exception {
        System.out.println("before the raw writes");
        FileOutputStream out = new FileOutputStream(FileDescriptor.out);
        out.write("from-fd1\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
        FileOutputStream err = new FileOutputStream(FileDescriptor.err);
        err.write("from-fd2\n".getBytes(StandardCharsets.UTF_8));
        err.flush();
        return "raw-done";
    }
}
