package io.jobpool.tasks;

import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * Returns the sum of its numbers: {@code add(1, 2, 3)} or {@code add([1, 2, 3])}. Integers stay
 * exact; any float makes the sum a float.
 */
public final class Add implements Task {
    @Override
    public String name() {
        return "add";
    }

    @Override
    public String description() {
        return "Returns the sum of its numbers, given as arguments or as one array.";
    }

    @Override
    public Object run(TaskArguments arguments, TaskContext context) {
        arguments.onlyKeywords("add", "numbers");
        List<JsonNode> numbers = new ArrayList<>();
        for (JsonNode arg : arguments.args().values()) {
            if (arg.isArray()) {
                arg.values().forEach(numbers::add);
            } else {
                numbers.add(arg);
            }
        }
        JsonNode keyword = arguments.kwargs().get("numbers");
        if (keyword != null && keyword.isArray()) {
            keyword.values().forEach(numbers::add);
        }
        BigInteger exact = BigInteger.ZERO;
        double inexact = 0;
        boolean integral = true;
        for (JsonNode number : numbers) {
            if (!number.isNumber()) {
                throw new IllegalArgumentException("add takes numbers, got " + number);
            }
            if (number.isIntegralNumber()) {
                exact = exact.add(number.bigIntegerValue());
            } else {
                integral = false;
                inexact += number.asDouble();
            }
        }
        return integral ? exact : exact.doubleValue() + inexact;
    }
}
