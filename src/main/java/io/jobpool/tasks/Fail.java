package io.jobpool.tasks;

import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;
import tools.jackson.databind.JsonNode;

/** Throws a {@link TaskFailedException} with the given message: the task for error paths. */
public final class Fail implements Task {
    @Override
    public String name() {
        return "fail";
    }

    @Override
    public String description() {
        return "Throws an exception with the given message.";
    }

    @Override
    public Object run(TaskArguments arguments, TaskContext context) {
        arguments.onlyParameters("fail", "message");
        JsonNode message = arguments.optional(0, "message");
        throw new TaskFailedException(message == null ? "failed on purpose"
                : message.isString() ? message.stringValue() : message.toString());
    }

    /** The exception {@code fail} throws; its class name is the job error's type. */
    public static final class TaskFailedException extends RuntimeException {
        public TaskFailedException(String message) {
            super(message);
        }
    }
}
