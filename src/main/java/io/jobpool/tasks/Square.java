package io.jobpool.tasks;

import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;
import java.math.BigInteger;
import tools.jackson.databind.JsonNode;

/** Returns {@code x * x}: an integer for an integer, a float for a float. */
public final class Square implements Task {
    @Override
    public String name() {
        return "square";
    }

    @Override
    public String description() {
        return "Returns x*x.";
    }

    @Override
    public Object run(TaskArguments arguments, TaskContext context) {
        JsonNode x = arguments.number(0, "x");
        if (x.isIntegralNumber()) {
            BigInteger value = x.bigIntegerValue();
            return value.multiply(value);
        }
        return x.asDouble() * x.asDouble();
    }
}
