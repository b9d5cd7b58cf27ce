package io.jobpool.tasks;

import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;
import java.util.LinkedHashMap;
import java.util.Map;

/** Returns its arguments: the {@code args} array, or {@code {args, kwargs}} when keywords were given. */
public final class Echo implements Task {
    @Override
    public String name() {
        return "echo";
    }

    @Override
    public String description() {
        return "Returns its arguments: the args array, or {args, kwargs} when keyword arguments were given.";
    }

    @Override
    public Object run(TaskArguments arguments, TaskContext context) {
        if (arguments.kwargs().isEmpty()) {
            return arguments.args();
        }
        Map<String, Object> both = new LinkedHashMap<>();
        both.put("args", arguments.args());
        both.put("kwargs", arguments.kwargs());
        return both;
    }
}
