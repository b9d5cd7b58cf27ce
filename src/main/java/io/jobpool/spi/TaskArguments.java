package io.jobpool.spi;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The positional ({@code args}) and keyword ({@code kwargs}) arguments of a submission, as JSON.
 *
 * <p>The lookup helpers follow Python's calling convention: a parameter can be given by position
 * or by name, and a missing required one is an {@link IllegalArgumentException} that names it.
 */
public record TaskArguments(JsonNode args, JsonNode kwargs) {

    public TaskArguments {
        args = args == null || args.isNull() ? JsonNodeFactory.instance.arrayNode() : args;
        kwargs = kwargs == null || kwargs.isNull() ? JsonNodeFactory.instance.objectNode() : kwargs;
    }

    /**
     * The argument at {@code position}, or the keyword argument {@code name}, or {@code null}. Both
     * at once is an {@link IllegalArgumentException}, as Python's {@code TypeError: got multiple
     * values for argument}: one of the two would be dropped without a word.
     */
    public JsonNode optional(int position, String name) {
        JsonNode byName = kwargs.get(name);
        if (byName != null && position < args.size()) {
            throw new IllegalArgumentException("got multiple values for argument '" + name + "' (position " + position
                    + " and keyword)");
        }
        if (byName != null && !byName.isNull()) {
            return byName;
        }
        JsonNode byPosition = args.get(position);
        return byPosition == null || byPosition.isNull() ? null : byPosition;
    }

    /**
     * Refuses arguments the task has no parameter for, as Python's {@code TypeError} does: a
     * second positional argument to a one-parameter task, or a keyword no parameter has. Dropped
     * without a word, {@code square(2, 5)} answered 4.
     *
     * @param task the task's name, for the message
     * @param parameters the task's parameters, in positional order
     */
    public void onlyParameters(String task, String... parameters) {
        if (args.size() > parameters.length) {
            throw new IllegalArgumentException(task + "() takes " + parameters.length + " positional argument"
                    + (parameters.length == 1 ? "" : "s") + " but " + args.size() + (args.size() == 1 ? " was" : " were") + " given");
        }
        onlyKeywords(task, parameters);
    }

    /** Refuses a keyword no parameter of the task has; for a task that takes any number of positional arguments. */
    public void onlyKeywords(String task, String... parameters) {
        java.util.List<String> known = java.util.List.of(parameters);
        for (String name : kwargs.propertyNames()) {
            if (!known.contains(name)) {
                throw new IllegalArgumentException(task + "() got an unexpected keyword argument '" + name + "'");
            }
        }
    }

    /** An optional integer argument: a number without a fractional part that fits an int. */
    public Integer integer(int position, String name) {
        JsonNode value = optional(position, name);
        if (value == null) {
            return null;
        }
        if (!value.isNumber() || !value.canConvertToExactIntegral() || !value.canConvertToInt()) {
            throw new IllegalArgumentException("argument '" + name + "' must be an integer, got " + value);
        }
        return value.asInt();
    }

    /** Like {@link #optional} but fails with a clear message when the argument is missing. */
    public JsonNode required(int position, String name) {
        JsonNode value = optional(position, name);
        if (value == null) {
            throw new IllegalArgumentException(
                    "missing argument '" + name + "' (position " + position + " or keyword)");
        }
        return value;
    }

    /** A required numeric argument. */
    public JsonNode number(int position, String name) {
        JsonNode value = required(position, name);
        if (!value.isNumber()) {
            throw new IllegalArgumentException("argument '" + name + "' must be a number, got " + value);
        }
        return value;
    }

    /** A required string argument. */
    public String string(int position, String name) {
        JsonNode value = required(position, name);
        if (!value.isString()) {
            throw new IllegalArgumentException("argument '" + name + "' must be a string, got " + value);
        }
        return value.stringValue();
    }
}
