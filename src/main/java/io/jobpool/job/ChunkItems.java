package io.jobpool.job;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a chunk job as the outcomes of its items. A chunk that ran holds one outcome per item in
 * its result; a chunk lost as a whole (its worker died, it timed out) gives each item that had not
 * already succeeded the chunk's error; a cancelled chunk's unfinished items are cancelled.
 *
 * <p>A chunk's result comes in two shapes, both written by the workers:
 * <ul>
 *   <li>{@code {"results":[V,...]}}: every item returned on its first attempt, the values in item
 *       order. This is what almost every chunk of a {@code map} returns, and it is the smallest to
 *       send, store and read: a million results are the million values and their commas.
 *   <li>{@code [{"result":V},{"error":{...}},{"result":V,"attempts":N},...]}: one outcome per
 *       item, when an item failed or ran more than once.
 * </ul>
 */
public final class ChunkItems {

    /** Reads a nested result out of the middle of the outcome array: what follows it is the rest of the array. */
    private static final JsonMapper JSON = JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    /** The error of an item the chunk ended without an outcome for. */
    private static final JobError LOST = new JobError("WorkerLostError", "the chunk ended without an outcome for this item", null);

    /** The error of an item its cancelled chunk had not finished, unless the chunk carries one saying why. */
    private static final JobError CANCELLED = new JobError("CancelledError",
            "cancelled before this item finished (its batch or its chunk job was cancelled)", null);

    private ChunkItems() {}

    /** Counts of one final chunk, added to its batch when the chunk finishes. */
    public record Tally(int succeeded, int failed, int cancelled, int retried) {}

    /**
     * One item's outcome as the worker wrote it: its result as JSON text (when it has one), its
     * error (when it has one) and how many attempts it took.
     */
    private record Outcome(String result, boolean hasResult, JobError error, boolean hasError, int attempts) {}

    /**
     * @param chunkAttempts how many times the chunk job ran: an item without an outcome ran in each
     *     attempt that ended without one (the worker died, the chunk timed out), so it counts them
     */
    public static void forEach(JobStatus status, String result, JobError chunkError, int chunkAttempts, int firstIndex, int count,
            Consumer<ItemOutcome> each) {
        int[] plain = status == JobStatus.SUCCEEDED ? Returned.scan(result) : null;
        if (plain != null && plain.length == 3 * count) {
            for (int i = 0; i < count; i++) {
                each.accept(new ItemOutcome(firstIndex + i, result.substring(plain[3 * i], plain[3 * i + 1]), null, plain[3 * i + 2]));
            }
            return;
        }
        try (Outcomes outcomes = new Outcomes(result, true)) {
            for (int i = 0; i < count; i++) {
                Outcome outcome = outcomes.next();
                int attempts = outcome == null ? 0 : outcome.attempts();
                if (outcome != null && outcome.hasResult()) {
                    each.accept(new ItemOutcome(firstIndex + i, outcome.result(), null, attempts));
                } else if (status == JobStatus.SUCCEEDED && outcome != null && outcome.hasError()) {
                    each.accept(new ItemOutcome(firstIndex + i, null, outcome.error(), attempts));
                } else if (status == JobStatus.CANCELLED) {
                    // A pool terminate says so on the chunk; a client's cancel leaves it without an error.
                    JobError error = chunkError != null && CANCELLED.type().equals(chunkError.type()) ? chunkError : CANCELLED;
                    each.accept(new ItemOutcome(firstIndex + i, null, error, attempts));
                } else {
                    JobError error = chunkError != null ? chunkError : LOST;
                    each.accept(new ItemOutcome(firstIndex + i, null, error, Math.max(attempts + 1, chunkAttempts)));
                }
            }
        }
    }

    /**
     * Appends the results of a SUCCEEDED chunk whose {@code count} items all returned to a JSON
     * array being written, each copied as the worker wrote it and preceded by a comma unless
     * {@code first}; returns {@code false}, writing nothing, for any other chunk (read it with
     * {@link #forEach} instead). One write per chunk when its values are written back to back: a
     * {@code map}'s million results are not a million strings.
     */
    public static boolean appendResults(JobStatus status, String result, int count, boolean first, Writer out)
            throws IOException {
        int[] plain = status == JobStatus.SUCCEEDED ? Returned.scan(result) : null;
        if (plain == null || plain.length != 3 * count) {
            return false;
        }
        if (count == 0) {
            return true;
        }
        if (!first) {
            out.write(',');
        }
        if (Returned.contiguous(plain)) {
            out.write(result, plain[0], plain[plain.length - 2] - plain[0]);
            return true;
        }
        for (int i = 0; i < plain.length; i += 3) {
            if (i > 0) {
                out.write(',');
            }
            out.write(result, plain[i], plain[i + 1] - plain[i]);
        }
        return true;
    }

    public static Tally tally(JobStatus status, String result, JobError chunkError, int chunkAttempts, int count) {
        int[] counts = new int[4];
        forEach(status, result, chunkError, chunkAttempts, 0, count, item -> {
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
     * What a chunk's outcome array says about its items, read once when the chunk returns (outside
     * the store's commit): how many succeeded, failed and took more than one attempt, and the first
     * error. Results are skipped, not copied.
     *
     * @param outcomes how many outcomes the array holds
     */
    public record Summary(int outcomes, int succeeded, int failed, int retried, JobError firstError) {

        /**
         * The error of a chunk attempt in which some items failed, to retry it with; {@code null}
         * if every item succeeded.
         */
        public JobError failures() {
            int failedOrEmpty = outcomes - succeeded;
            if (failedOrEmpty == 0) {
                return null;
            }
            JobError first = firstError != null ? firstError : LOST;
            return new JobError("ItemsFailedError", failedOrEmpty + " of " + outcomes + " items failed; the first: "
                    + first.type() + ": " + first.message(), null);
        }

        /**
         * The counts {@link #tally} gives for this chunk SUCCEEDED with {@code count} items, or
         * {@code null} when the worker returned another number of outcomes than items (then only
         * the item-by-item reading is exact).
         */
        public Tally tally(int count) {
            return count == outcomes ? new Tally(succeeded, outcomes - succeeded, 0, retried) : null;
        }
    }

    public static Summary summarize(String result) {
        int[] plain = Returned.scan(result);
        if (plain != null) {
            int retried = 0;
            for (int i = 2; i < plain.length; i += 3) {
                retried += plain[i] > 1 ? 1 : 0;
            }
            return new Summary(plain.length / 3, plain.length / 3, 0, retried, null);
        }
        int outcomesRead = 0;
        int succeeded = 0;
        int failed = 0;
        int retried = 0;
        JobError first = null;
        try (Outcomes outcomes = new Outcomes(result, false)) {
            for (Outcome outcome = outcomes.next(); outcome != null; outcome = outcomes.next()) {
                outcomesRead++;
                // As forEach reads a SUCCEEDED chunk: an outcome without a result failed, and one
                // without an error either is retried (attempts + 1) like a lost item.
                int attempts = outcome.hasResult() || outcome.hasError() ? outcome.attempts() : outcome.attempts() + 1;
                if (outcome.hasResult()) {
                    succeeded++;
                } else {
                    failed++;
                    if (outcome.hasError() && first == null) {
                        first = outcome.error();
                    }
                }
                if (attempts > 1) {
                    retried++;
                }
            }
        }
        return new Summary(outcomesRead, succeeded, failed, retried, first);
    }

    /**
     * A chunk whose items all returned, in either shape the workers write it: the values
     * {@code {"results":[V,...]}}, or the outcomes {@code [{"result":V},{"result":V,"attempts":N},...]}.
     * Read by a plain scan of the text, which is several times quicker than a parser on the path
     * every chunk takes (its finish, the results request); anything else (an error, another key,
     * another order) is left to {@link Outcomes}, which also rejects what is not JSON. A value's
     * end is found by its brackets and quotes alone.
     */
    private static final class Returned {

        private static final String RESULT = "\"result\"";
        private static final String RESULTS = "\"results\"";
        private static final String ATTEMPTS = "\"attempts\"";

        /**
         * Each item's result as {@code [start, end, attempts]} in {@code text}, three ints per
         * item; {@code null} if the text is not all returned items in one of the two shapes.
         */
        static int[] scan(String result) {
            if (result == null) {
                return null;
            }
            byte[] text = bytesAtCharIndices(result);
            int start = skipSpace(text, 0);
            return start < text.length && at(text, start) == '{' ? scanValues(text, start) : scanOutcomes(text);
        }

        /**
         * The text as one byte per char, at the same indices: a loop over bytes is several times
         * quicker than charAt on a compact String. A char outside Latin-1 becomes '?', which is no
         * quote, bracket or backslash, so it moves no boundary. The encoder maps a surrogate pair
         * to a single '?', so a text with one is converted char by char.
         */
        private static byte[] bytesAtCharIndices(String result) {
            byte[] bytes = result.getBytes(StandardCharsets.ISO_8859_1);
            if (bytes.length != result.length()) {
                bytes = new byte[result.length()];
                for (int i = 0; i < bytes.length; i++) {
                    char c = result.charAt(i);
                    bytes[i] = c > 0xff ? (byte) '?' : (byte) c;
                }
            }
            return bytes;
        }

        /** Whether the items' values follow each other separated by single commas, as the workers write them. */
        static boolean contiguous(int[] spans) {
            for (int i = 3; i < spans.length; i += 3) {
                if (spans[i] != spans[i - 2] + 1) {
                    return false;
                }
            }
            return true;
        }

        /** {@code {"results":[V,...]}}: every item returned on its first attempt. */
        private static int[] scanValues(byte[] text, int i) {
            int length = text.length;
            i = expectKey(text, i, '{', RESULTS);
            if (i < 0 || i >= length || at(text, i) != '[') {
                return null;
            }
            // About 12 bytes per value (a map of numbers); more values grow it.
            int[] spans = new int[Math.max(3, Math.min(length / 4, 3 << 16))];
            int n = 0;
            i = skipSpace(text, i + 1);
            if (i < length && at(text, i) == ']') {
                return closesObject(text, i) ? new int[0] : null;
            }
            while (true) {
                int end = valueEnd(text, i);
                if (end < 0) {
                    return null;
                }
                if (n + 3 > spans.length) {
                    spans = java.util.Arrays.copyOf(spans, spans.length * 2);
                }
                spans[n++] = i;
                spans[n++] = end;
                spans[n++] = 1;
                if (end + 1 < length && text[end] == ',' && text[end + 1] > ' ') {
                    i = end + 1; // the workers' compact "v,v": no space to skip
                    continue;
                }
                i = skipSpace(text, end);
                if (i < length && at(text, i) == ',') {
                    i = skipSpace(text, i + 1);
                } else if (i < length && at(text, i) == ']') {
                    return closesObject(text, i) ? java.util.Arrays.copyOf(spans, n) : null;
                } else {
                    return null;
                }
            }
        }

        /** Whether the array closing at {@code i} is followed by the object's end and nothing else. */
        private static boolean closesObject(byte[] text, int i) {
            i = skipSpace(text, i + 1);
            return i < text.length && at(text, i) == '}' && skipSpace(text, i + 1) == text.length;
        }

        private static int[] scanOutcomes(byte[] text) {
            int length = text.length;
            int[] spans = new int[Math.max(3, Math.min(length / 4, 3 << 16))];
            int n = 0;
            int i = skipSpace(text, 0);
            if (i >= length || at(text, i) != '[') {
                return null;
            }
            i = skipSpace(text, i + 1);
            if (i < length && at(text, i) == ']') {
                return skipSpace(text, i + 1) == length ? new int[0] : null;
            }
            while (true) {
                i = expectKey(text, i, '{', RESULT);
                if (i < 0) {
                    return null;
                }
                int start = i;
                int end = valueEnd(text, i);
                if (end < 0) {
                    return null;
                }
                i = skipSpace(text, end);
                int attempts = 1;
                if (i < length && at(text, i) == ',') {
                    i = expectKey(text, i, ',', ATTEMPTS);
                    if (i < 0) {
                        return null;
                    }
                    int digits = i;
                    attempts = 0;
                    while (i < length && i - digits < 9 && at(text, i) >= '0' && at(text, i) <= '9') {
                        attempts = attempts * 10 + at(text, i++) - '0';
                    }
                    if (i == digits) {
                        return null;
                    }
                    i = skipSpace(text, i);
                }
                if (i >= length || at(text, i) != '}') {
                    return null;
                }
                if (n + 3 > spans.length) {
                    spans = java.util.Arrays.copyOf(spans, spans.length * 2);
                }
                spans[n++] = start;
                spans[n++] = end;
                spans[n++] = attempts;
                i = skipSpace(text, i + 1);
                if (i < length && at(text, i) == ',') {
                    i = skipSpace(text, i + 1);
                } else if (i < length && at(text, i) == ']') {
                    return skipSpace(text, i + 1) == length ? java.util.Arrays.copyOf(spans, n) : null;
                } else {
                    return null;
                }
            }
        }

        /** Past {@code opening}, the {@code key} and its colon: where the value starts, or -1. */
        private static int expectKey(byte[] text, int i, char opening, String key) {
            if (i >= text.length || at(text, i) != opening) {
                return -1;
            }
            i = skipSpace(text, i + 1);
            if (!startsWith(text, key, i)) {
                return -1;
            }
            i = skipSpace(text, i + key.length());
            if (i >= text.length || at(text, i) != ':') {
                return -1;
            }
            return skipSpace(text, i + 1);
        }

        /** Where the JSON value starting at {@code i} ends, or -1. */
        private static int valueEnd(byte[] text, int i) {
            int length = text.length;
            if (i >= length) {
                return -1;
            }
            byte first = text[i];
            if (first == '"') {
                return stringEnd(text, i);
            }
            if (first == '{' || first == '[') {
                int depth = 0;
                for (int j = i; j < length; j++) {
                    byte c = text[j];
                    if (c == '"') {
                        j = stringEnd(text, j) - 1;
                        if (j < 0) {
                            return -1;
                        }
                    } else if (c == '{' || c == '[') {
                        depth++;
                    } else if ((c == '}' || c == ']') && --depth == 0) {
                        return j + 1;
                    }
                }
                return -1;
            }
            // A number or a literal; what follows it is checked by the caller (a comma, a bracket),
            // and anything else is left to the parser to reject.
            if (first == '-' || (first >= '0' && first <= '9')) {
                // A number, the usual value: this loop is most of a results request.
                int j = i + 1;
                while (j < length && NUMBER_CHAR[text[j] & 0xff]) {
                    j++;
                }
                return j;
            }
            if (startsWith(text, "true", i) || startsWith(text, "null", i)) {
                return i + 4;
            }
            return startsWith(text, "false", i) ? i + 5 : -1;
        }

        /** The bytes a JSON number is written with, by byte value: one lookup per byte on the scan's hottest loop. */
        private static final boolean[] NUMBER_CHAR = new boolean[256];

        static {
            for (char c : "0123456789.eE-+".toCharArray()) {
                NUMBER_CHAR[c] = true;
            }
        }

        /** Past the closing quote of the string whose opening quote is at {@code i}, or -1. */
        private static int stringEnd(byte[] text, int i) {
            for (int j = i + 1; j < text.length; j++) {
                byte c = text[j];
                if (c == '\\') {
                    j++;
                } else if (c == '"') {
                    return j + 1;
                }
            }
            return -1;
        }

        private static char at(byte[] text, int i) {
            return (char) text[i];
        }

        private static boolean startsWith(byte[] text, String prefix, int i) {
            if (i < 0 || i + prefix.length() > text.length) {
                return false;
            }
            for (int j = 0; j < prefix.length(); j++) {
                if (text[i + j] != prefix.charAt(j)) {
                    return false;
                }
            }
            return true;
        }

        private static int skipSpace(byte[] text, int i) {
            while (i < text.length && text[i] <= ' ' && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) {
                i++;
            }
            return i;
        }
    }

    /**
     * Reads a chunk's outcome array one item at a time with a streaming parser. A chunk of
     * 10,000 items is read on every finish and every results request; a tree of all of them
     * cost more than the rest of the finish, and it ran inside the store's group commit.
     */
    private static final class Outcomes implements AutoCloseable {

        private final String source;
        private final JsonParser parser;
        /** Whether results are copied out as text; counting needs only to know there is one. */
        private final boolean withResults;

        /** Whether the result is the values of items that all returned ({@code {"results":[...]}}). */
        private final boolean values;

        Outcomes(String result, boolean withResults) {
            this.withResults = withResults;
            this.source = result;
            this.parser = result == null ? null : JSON.createParser(result);
            JsonToken first = parser == null ? null : parser.nextToken();
            this.values = first == JsonToken.START_OBJECT && parser.nextToken() == JsonToken.PROPERTY_NAME
                    && parser.currentName().equals("results") && parser.nextToken() == JsonToken.START_ARRAY;
            if (parser != null && !values && first != JsonToken.START_ARRAY) {
                throw new IllegalArgumentException("a chunk's result is an array of item outcomes or {\"results\": [...]}, not "
                        + result.substring(0, Math.min(result.length(), 40)));
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
            if (values) {
                if (withResults) {
                    return new Outcome(json(token), true, null, false, 1);
                }
                parser.skipChildren();
                return new Outcome(null, true, null, false, 1);
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
                        if (withResults) {
                            result = json(value);
                        } else {
                            parser.skipChildren();
                        }
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

        /**
         * The current value as JSON text. A number or string is copied as the worker wrote it
         * (the same value; no number is parsed and printed again, no string unescaped and escaped
         * again); an array or object is printed compactly from its tree.
         */
        private String json(JsonToken value) {
            return switch (value) {
                case VALUE_NULL -> "null";
                case VALUE_TRUE -> "true";
                case VALUE_FALSE -> "false";
                case VALUE_STRING, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> verbatim();
                default -> JSON.readTree(parser).toString();
            };
        }

        private String verbatim() {
            int start = (int) parser.currentTokenLocation().getCharOffset();
            parser.finishToken();
            int end = (int) parser.currentLocation().getCharOffset();
            return source.substring(start, end);
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
