package io.jobpool.testing.plugin;

import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

/**
 * A test task that does to {@code System.out} and {@code System.err} what careless task code
 * does: prints, then closes both, then points them at a buffer of its own. The jobs after it on
 * the same worker must still have their output in their logs.
 */
public final class StandardStreamsTamperer implements Task {

    @Override
    public String name() {
        return "test-tamper-streams";
    }

    @Override
    public String description() {
        return "Test: closes System.out and System.err, then replaces them.";
    }

    @Override
    public Object run(TaskArguments arguments, TaskContext context) {
        System.out.println("before the close");
        System.out.close();
        System.err.close();
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true));
        System.setErr(new PrintStream(new ByteArrayOutputStream(), true));
        System.out.println("into the task's own buffer");
        return "tampered";
    }
}
