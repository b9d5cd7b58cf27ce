package io.jobpool.worker;

import io.jobpool.protocol.Message;
import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Runs the items of a batch chunk one after another in this worker, like a {@code Pool.map}
 * worker runs its chunk. Each item's failure is caught and recorded at its own index, so one bad
 * item never costs the others of its chunk; the whole chunk answers in one frame.
 */
final class ChunkRunner {

    /** Longest stack trace kept per failed item: a chunk of thousands of failures stays small. */
    private static final int MAX_ITEM_TRACE_CHARS = 4000;

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final long maxResultBytes;

    ChunkRunner(long maxResultBytes) {
        this.maxResultBytes = maxResultBytes;
    }

    Message.ToServer run(Task task, Message.Run chunk, TaskContext context) {
        JsonNode items = WorkerJson.read(chunk.args());
        JsonNode previous = chunk.previous() == null ? null : WorkerJson.read(chunk.previous());
        ArrayNode outcomes = NODES.arrayNode();
        // Until an item fails or has run before, only the values are kept: the answer is then
        // {"results":[...]}, a third of the outcome array's size for a map of numbers.
        boolean allReturned = previous == null;
        int reportedPercent = 0;
        for (int i = 0; i < items.size(); i++) {
            JsonNode before = previous == null ? null : previous.get(i);
            if (before != null && before.has("result")) {
                outcomes.add(before);
                continue;
            }
            ObjectNode outcome = NODES.objectNode();
            runItem(task, items.get(i), context, outcome);
            if (allReturned && !outcome.has("result")) {
                allReturned = false;
                outcomes = asOutcomes(outcomes);
            }
            if (allReturned) {
                outcomes.add(outcome.get("result"));
            } else {
                outcomes.add(outcome);
            }
            int attempts = before == null ? 1 : before.path("attempts").asInt(1) + 1;
            if (attempts > 1) {
                outcome.put("attempts", attempts);
            }
            int percent = (int) ((i + 1) * 100L / items.size());
            if (percent >= reportedPercent + 5) {
                reportedPercent = percent;
                context.progress(percent / 100.0, (i + 1) + " of " + items.size() + " items");
            }
        }
        if (allReturned) {
            ObjectNode values = NODES.objectNode();
            values.set("results", outcomes);
            return succeeded(chunk.jobId(), values);
        }
        return succeeded(chunk.jobId(), outcomes);
    }

    private static Message.Succeeded succeeded(String jobId, JsonNode outcomes) {
        return new Message.Succeeded(jobId, new String(WorkerJson.write(outcomes), StandardCharsets.UTF_8));
    }

    /** The values of the items run so far, each as its outcome {@code {"result": value}}. */
    private ArrayNode asOutcomes(ArrayNode values) {
        ArrayNode outcomes = NODES.arrayNode();
        for (JsonNode value : values) {
            outcomes.addObject().set("result", value);
        }
        return outcomes;
    }

    private void runItem(Task task, JsonNode args, TaskContext context, ObjectNode outcome) {
        try {
            JsonNode value = WorkerJson.tree(task.run(new TaskArguments(args, NODES.objectNode()), context));
            long size = mayExceedLimit(value) ? WorkerJson.write(value).length : 0;
            if (size > maxResultBytes) {
                error(outcome, "ResultTooLargeError", "result is " + size + " bytes; the limit is " + maxResultBytes
                        + " (jobpool.jobs.max-result-bytes)", null);
            } else {
                outcome.set("result", value);
            }
        } catch (WorkerJson.NotJsonException e) {
            error(outcome, WorkerJson.NotJsonException.TYPE, e.getMessage(), null);
        } catch (Exception | StackOverflowError | LinkageError | AssertionError failure) {
            // OutOfMemoryError is left alone: the worker exits on it and the chunk is lost as a whole.
            StringWriter trace = new StringWriter();
            failure.printStackTrace(new PrintWriter(trace));
            String text = trace.toString();
            error(outcome, failure.getClass().getName(), failure.getMessage(),
                    text.length() > MAX_ITEM_TRACE_CHARS ? text.substring(0, MAX_ITEM_TRACE_CHARS) : text);
        }
    }

    /**
     * Whether an item's result must be serialised to know its size: a container, a long string or
     * a big number might pass the limit; an int, a boolean or a short string cannot, and writing
     * each of 10,000 of them twice doubled a chunk's cost.
     */
    private boolean mayExceedLimit(JsonNode value) {
        if (value.isContainer() || value.isBigDecimal()) {
            return true;
        }
        if (value.isBigInteger()) {
            // A bit is under a third of a decimal digit: this bounds the digits without writing them.
            return value.bigIntegerValue().bitLength() / 3 + 2 > maxResultBytes;
        }
        // A char is at most 6 bytes as JSON (an escaped control character); quotes, or a long or a double, fit in 64.
        return value.isString() ? value.asString().length() * 6L + 64 > maxResultBytes : 64 > maxResultBytes;
    }

    private static void error(ObjectNode outcome, String type, String message, String trace) {
        ObjectNode error = outcome.putObject("error");
        error.put("type", type);
        error.put("message", message);
        error.put("trace", trace);
    }
}
