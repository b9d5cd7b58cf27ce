package io.jobpool.testing.plugin;

import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A test task that writes to the worker's real descriptors 1 and 2, as native code does, past
 * {@code System.out}, and reads its stdin, both {@code System.in} and descriptor 0 itself: each
 * must be at its end, not the server's frames. Its log must show the four lines in the order
 * written. Not closed: that would close the descriptors themselves.
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
        System.err.println("after the raw writes");
        int fromSystemIn = System.in.read();
        int fromDescriptor0 = new java.io.FileInputStream(FileDescriptor.in).read();
        return fromSystemIn == -1 && fromDescriptor0 == -1 ? "raw-done" : "stdin gave " + fromSystemIn + ", " + fromDescriptor0;
    }
}
