package io.jobpool.worker;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * A job's JSON in the worker: arguments read into trees, results turned into trees and written,
 * with Jackson's streaming API and its tree nodes only.
 *
 * <p>Building a {@link JsonMapper} was the largest single step of a worker's boot (60-80 ms: its
 * serializer factories, date formats and locale data) and held memory in every idle worker, while
 * the built-in tasks and most plugins return JSON trees, strings, numbers, booleans, lists and
 * maps, which need none of it. Those are converted here, exactly as data binding writes them. Any
 * other value (a record, a bean, an enum, a map with non-string keys, an {@code Optional}) goes
 * to a mapper built the first time a task returns one, so it still serialises as Jackson would.
 */
final class WorkerJson {

    /** The same stream settings a default {@link JsonMapper} uses: the text written does not change. */
    private static final JsonFactory FACTORY = JsonFactory.builder().build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private WorkerJson() {}

    /** The JSON text {@code json} as a tree ({@code null} text is JSON {@code null}). */
    static JsonNode read(String json) {
        try (JsonParser in = FACTORY.createParser(ObjectReadContext.empty(), json)) {
            JsonToken first = in.nextToken();
            if (first == null) {
                throw new IllegalArgumentException("no JSON value in the frame");
            }
            JsonNode value = value(in, first);
            if (in.nextToken() != null) {
                throw new IllegalArgumentException("more than one JSON value in the frame");
            }
            return value;
        }
    }

    private static JsonNode value(JsonParser in, JsonToken token) {
        if (token == JsonToken.START_OBJECT) {
            ObjectNode object = NODES.objectNode();
            for (JsonToken next = in.nextToken(); next != JsonToken.END_OBJECT; next = in.nextToken()) {
                String name = in.currentName();
                object.set(name, value(in, in.nextToken()));
            }
            return object;
        }
        if (token == JsonToken.START_ARRAY) {
            ArrayNode array = NODES.arrayNode();
            for (JsonToken next = in.nextToken(); next != JsonToken.END_ARRAY; next = in.nextToken()) {
                array.add(value(in, next));
            }
            return array;
        }
        if (token == JsonToken.VALUE_STRING) {
            return NODES.stringNode(in.getString());
        }
        if (token == JsonToken.VALUE_NUMBER_INT) {
            JsonParser.NumberType type = in.getNumberType();
            if (type == JsonParser.NumberType.INT) {
                return NODES.numberNode(in.getIntValue());
            }
            return type == JsonParser.NumberType.LONG ? NODES.numberNode(in.getLongValue()) : NODES.numberNode(in.getBigIntegerValue());
        }
        if (token == JsonToken.VALUE_NUMBER_FLOAT) {
            // As data binding reads a tree: a double, unless the text asked for more.
            return in.getNumberType() == JsonParser.NumberType.BIG_DECIMAL
                    ? NODES.numberNode(in.getDecimalValue()) : NODES.numberNode(in.getDoubleValue());
        }
        if (token == JsonToken.VALUE_TRUE || token == JsonToken.VALUE_FALSE) {
            return NODES.booleanNode(token == JsonToken.VALUE_TRUE);
        }
        if (token == JsonToken.VALUE_NULL) {
            return NODES.nullNode();
        }
        throw new IllegalArgumentException("unexpected " + token + " in the frame");
    }

    /** A task's return value as a tree. */
    static JsonNode tree(Object value) {
        JsonNode converted = convert(value);
        if (converted != null && !(value instanceof JsonNode)) {
            return converted;
        }
        // Built elsewhere than in convert, which checks each number as it goes.
        return requireFinite(converted != null ? converted : LazyMapper.INSTANCE.valueToTree(value));
    }

    /**
     * A task returned what JSON cannot hold: NaN or an infinity (a square of 1e200) was written as
     * the string "Infinity" on a job that SUCCEEDED. The job fails with
     * {@code ResultNotSerializableError}, as a Python task's does.
     */
    static final class NotJsonException extends RuntimeException {
        NotJsonException(String message) {
            super(message);
        }

        /** The error type a job or item fails with. */
        static final String TYPE = "ResultNotSerializableError";
    }

    private static double finite(double number) {
        if (!Double.isFinite(number)) {
            throw new NotJsonException("the task returned a value that is not JSON: " + number + " (JSON numbers are finite)");
        }
        return number;
    }

    private static JsonNode requireFinite(JsonNode node) {
        if (node.isFloatingPointNumber() && !node.isBigDecimal()) {
            finite(node.doubleValue());
        } else if (node.isContainer()) {
            for (JsonNode child : node.values()) {
                requireFinite(child);
            }
        }
        return node;
    }

    /**
     * The value as a tree, or {@code null} when some part of it needs data binding: then the whole
     * value goes to the mapper, so a map holding a record is written by one set of rules.
     */
    private static JsonNode convert(Object value) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (value instanceof JsonNode node) {
            return node;
        }
        if (value instanceof String text) {
            return NODES.stringNode(text);
        }
        if (value instanceof Boolean bool) {
            return NODES.booleanNode(bool);
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return NODES.numberNode(((Number) value).intValue());
        }
        if (value instanceof Long number) {
            return NODES.numberNode(number.longValue());
        }
        if (value instanceof Double number) {
            return NODES.numberNode(finite(number));
        }
        if (value instanceof Float number) {
            return NODES.numberNode((float) finite(number));
        }
        if (value instanceof BigInteger number) {
            return NODES.numberNode(number);
        }
        if (value instanceof BigDecimal number) {
            return NODES.numberNode(number);
        }
        if (value instanceof Map<?, ?> map) {
            ObjectNode object = NODES.objectNode();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                JsonNode item = entry.getKey() instanceof String ? convert(entry.getValue()) : null;
                if (item == null) {
                    return null;
                }
                object.set((String) entry.getKey(), item);
            }
            return object;
        }
        if (value instanceof Collection<?> || value instanceof Object[]) {
            ArrayNode array = NODES.arrayNode();
            for (Object element : value instanceof Object[] elements ? java.util.Arrays.asList(elements) : (Collection<?>) value) {
                JsonNode item = convert(element);
                if (item == null) {
                    return null;
                }
                array.add(item);
            }
            return array;
        }
        if (value instanceof int[] ints) {
            ArrayNode array = NODES.arrayNode(ints.length);
            java.util.Arrays.stream(ints).forEach(array::add);
            return array;
        }
        if (value instanceof long[] longs) {
            ArrayNode array = NODES.arrayNode(longs.length);
            java.util.Arrays.stream(longs).forEach(array::add);
            return array;
        }
        if (value instanceof double[] doubles) {
            ArrayNode array = NODES.arrayNode(doubles.length);
            java.util.Arrays.stream(doubles).forEach(number -> array.add(finite(number)));
            return array;
        }
        return null;
    }

    /** A tree as JSON text (UTF-8), as data binding writes it. */
    static byte[] write(JsonNode tree) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (JsonGenerator out = FACTORY.createGenerator(ObjectWriteContext.empty(), bytes)) {
            write(tree, out);
        }
        return bytes.toByteArray();
    }

    private static void write(JsonNode node, JsonGenerator out) {
        if (node.isObject()) {
            out.writeStartObject();
            for (Map.Entry<String, JsonNode> property : node.properties()) {
                out.writeName(property.getKey());
                write(property.getValue(), out);
            }
            out.writeEndObject();
        } else if (node.isArray()) {
            out.writeStartArray();
            for (JsonNode element : node.values()) {
                write(element, out);
            }
            out.writeEndArray();
        } else if (node.isString()) {
            out.writeString(node.stringValue());
        } else if (node.isNumber()) {
            writeNumber(node, out);
        } else if (node.isBoolean()) {
            out.writeBoolean(node.booleanValue());
        } else if (node.isNull() || node.isMissingNode()) {
            out.writeNull();
        } else {
            // A binary or POJO node a task built itself: only data binding knows how to write it.
            out.writeRawValue(LazyMapper.INSTANCE.writeValueAsString(node));
        }
    }

    private static void writeNumber(JsonNode node, JsonGenerator out) {
        JsonParser.NumberType type = node.numberType();
        if (type == JsonParser.NumberType.INT) {
            out.writeNumber(node.intValue());
        } else if (type == JsonParser.NumberType.LONG) {
            out.writeNumber(node.longValue());
        } else if (type == JsonParser.NumberType.BIG_INTEGER) {
            // The same digits; printing a long is several times quicker than a BigInteger.
            BigInteger value = node.bigIntegerValue();
            if (value.bitLength() < 64) {
                out.writeNumber(value.longValue());
            } else {
                out.writeNumber(value);
            }
        } else if (type == JsonParser.NumberType.FLOAT) {
            out.writeNumber(node.floatValue());
        } else if (type == JsonParser.NumberType.BIG_DECIMAL) {
            out.writeNumber(node.decimalValue());
        } else {
            out.writeNumber(node.doubleValue());
        }
    }

    /** The data-binding mapper, built on first use only (holder idiom: class initialisation is the lock). */
    private static final class LazyMapper {
        static final JsonMapper INSTANCE = JsonMapper.builder().build();
    }
}
