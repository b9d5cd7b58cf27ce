package io.jobpool.job;

import java.util.function.Consumer;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a chunk job as the outcomes of its items. A chunk that ran holds one outcome per item in
 * its result; a chunk lost as a whole (its worker died, it timed out) gives each item that had not
 * already succeeded the chunk's error; a cancelled chunk's unfinished items are cancelled.
 */
public final class ChunkItems {

    /** Reads a nested result out of the middle of the outcome array: what follows it is the rest of the array. */
    private static final JsonMapper JSON = JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    private ChunkItems() {}

    /** Counts of one final chunk, added to its batch when the chunk finishes. */
    public record Tally(int succeeded, int failed, int cancelled, int retried) {}

    /**
     * One item's outcome as the worker wrote it: its result as JSON text (when it has one), its
     * error (when it has one) and how many attempts it took.
     */
    private record Outcome(String result, boolean hasResult, JobError error, boolean hasError, int attempts) {}

    public static void forEach(JobStatus status, String result, JobError chunkError, int firstIndex, int count,
            Consumer<ItemOutcome> each) {
        try (Outcomes outcomes = new Outcomes(result)) {
            for (int i = 0; i < count; i++) {
                Outcome outcome = outcomes.next();
                int attempts = outcome == null ? 0 : outcome.attempts();
                if (outcome != null && outcome.hasResult()) {
                    each.accept(new ItemOutcome(firstIndex + i, outcome.result(), null, attempts));
                } else if (status == JobStatus.SUCCEEDED && outcome != null && outcome.hasError()) {
                    each.accept(new ItemOutcome(firstIndex + i, null, outcome.error(), attempts));
                } else if (status == JobStatus.CANCELLED) {
                    each.accept(new ItemOutcome(firstIndex + i, null,
                            new JobError("CancelledError", "the batch was cancelled before this item finished", null), attempts));
                } else {
                    JobError error = chunkError != null ? chunkError
                            : new JobError("WorkerLostError", "the chunk ended without an outcome for this item", null);
                    each.accept(new ItemOutcome(firstIndex + i, null, error, attempts + 1));
                }
            }
        }
    }

    public static Tally tally(JobStatus status, String result, JobError chunkError, int count) {
        int[] counts = new int[4];
        forEach(status, result, chunkError, 0, count, item -> {
            if (item.succeeded()) {
                counts[0]++;
            } else if (status == JobStatus.CANCELLED) {
                counts[2]++;
            } else {
                counts[1]++;
            }
            if (item.attempts() > 1) {
                counts[3]++;
            }
        });
        return new Tally(counts[0], counts[1], counts[2], counts[3]);
    }

    /**
     * The error of a chunk attempt in which some items failed, to retry it with; {@code null} if
     * every item succeeded.
     */
    public static JobError failures(String result) {
        int failed = 0;
        int items = 0;
        JobError first = null;
        try (Outcomes outcomes = new Outcomes(result)) {
            for (Outcome outcome = outcomes.next(); outcome != null; outcome = outcomes.next()) {
                items++;
                if (outcome.hasError()) {
                    failed++;
                    first = first == null ? outcome.error() : first;
                }
            }
        }
        if (failed == 0) {
            return null;
        }
        return new JobError("ItemsFailedError", failed + " of " + items + " items failed; the first: "
                + first.type() + ": " + first.message(), null);
    }

    /**
     * Reads a chunk's outcome array one item at a time with a streaming parser. A chunk of
     * 10,000 items is read on every finish and every results request; a tree of all of them
     * cost more than the rest of the finish, and it ran inside the store's group commit.
     */
    private static final class Outcomes implements AutoCloseable {

        private final JsonParser parser;

        Outcomes(String result) {
            this.parser = result == null ? null : JSON.createParser(result);
            if (parser != null && parser.nextToken() != JsonToken.START_ARRAY) {
                throw new IllegalArgumentException("a chunk's result is an array of item outcomes, not " + parser.currentToken());
            }
        }

        /** The next item's outcome; {@code null} after the last (or with no result at all). */
        Outcome next() {
            if (parser == null) {
                return null;
            }
            JsonToken token = parser.nextToken();
            if (token == null || token == JsonToken.END_ARRAY) {
                return null;
            }
            if (token != JsonToken.START_OBJECT) {
                parser.skipChildren();
                return new Outcome(null, false, null, false, 1);
            }
            String result = null;
            boolean hasResult = false;
            JobError error = null;
            boolean hasError = false;
            int attempts = 1;
            while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (name) {
                    case "result" -> {
                        hasResult = true;
                        result = json(value);
                    }
                    case "error" -> {
                        hasError = true;
                        error = error(value);
                    }
                    case "attempts" -> attempts = value.isNumeric() ? parser.getValueAsInt(1) : skipped(1);
                    default -> parser.skipChildren();
                }
            }
            return new Outcome(result, hasResult, error, hasError, attempts);
        }

        private int skipped(int fallback) {
            parser.skipChildren();
            return fallback;
        }

        /** The current value as compact JSON text, as the tree node of it would print. */
        private String json(JsonToken value) {
            return switch (value) {
                case VALUE_NULL -> "null";
                case VALUE_TRUE -> "true";
                case VALUE_FALSE -> "false";
                case VALUE_STRING -> JSON.writeValueAsString(parser.getString());
                case VALUE_NUMBER_INT -> parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? parser.getBigIntegerValue().toString() : Long.toString(parser.getLongValue());
                default -> JSON.readTree(parser).toString();
            };
        }

        private JobError error(JsonToken value) {
            if (value != JsonToken.START_OBJECT) {
                parser.skipChildren();
                return new JobError(null, null, null);
            }
            String type = null;
            String message = null;
            String trace = null;
            while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = parser.currentName();
                JsonToken token = parser.nextToken();
                String text = token.isScalarValue() && token != JsonToken.VALUE_NULL ? parser.getString() : null;
                parser.skipChildren();
                switch (name) {
                    case "type" -> type = text;
                    case "message" -> message = text;
                    case "trace" -> trace = text;
                    default -> { }
                }
            }
            return new JobError(type, message, trace);
        }

        @Override
        public void close() {
            if (parser != null) {
                parser.close();
            }
        }
    }
}
