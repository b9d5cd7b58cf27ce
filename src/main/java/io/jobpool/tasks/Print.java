package io.jobpool.tasks;

import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;
import tools.jackson.databind.JsonNode;

/**
 * Writes each argument as a line to stdout and, prefixed with {@code stderr: }, to stderr; returns
 * the number of lines. Shows that task output lands in the job's log, not in the protocol.
 */
public final class Print implements Task {
    @Override
    public String name() {
        return "print";
    }

    @Override
    public String description() {
        return "Writes each argument as a line to stdout and to stderr; returns the line count.";
    }

    @Override
    public Object run(TaskArguments arguments, TaskContext context) {
        arguments.onlyKeywords("print");
        int lines = 0;
        for (JsonNode arg : arguments.args().values()) {
            String line = arg.isString() ? arg.stringValue() : arg.toString();
            System.out.println(line);
            System.err.println("stderr: " + line);
            lines++;
        }
        return lines;
    }
}
