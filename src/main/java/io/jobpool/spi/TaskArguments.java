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
