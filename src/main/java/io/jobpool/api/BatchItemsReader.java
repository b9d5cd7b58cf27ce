package io.jobpool.api;

import io.jobpool.job.BatchItems;
import io.jobpool.job.JobException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a batch request's {@code items} straight into {@link BatchItems}: each item is copied from
 * the request's parser to compact JSON text as it is read, so no tree of the items is ever built.
 * The parser's bounds (nesting, number length) apply as for any body; what is not an array is kept
 * as {@link BatchItems#NOT_AN_ARRAY} for the request's validation to name.
 */
final class BatchItemsReader extends ValueDeserializer<BatchItems> {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Override
    public BatchItems deserialize(JsonParser parser, DeserializationContext context) {
        if (!parser.isExpectedStartArrayToken()) {
            parser.skipChildren();
            return BatchItems.NOT_AN_ARRAY;
        }
        BatchItems.Builder items = new BatchItems.Builder();
        try (JsonGenerator json = JSON.createGenerator(items.output())) {
            json.writeStartArray();
            int index = 0;
            for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken(), index++) {
                copyItem(parser, json, index);
                items.add(items.written() + json.streamWriteOutputBuffered(), token == JsonToken.START_ARRAY);
            }
            json.writeEndArray();
        }
        return items.build();
    }

    /**
     * Copies the item starting at the parser's current token. An integer is copied as its text:
     * the parser has checked it, and reading it into a number only to print it again was a tenth
     * of a million-item submit. A number beyond a double's range would be copied as infinity,
     * which JSON cannot carry: refused as for a single job's args.
     */
    private static void copyItem(JsonParser parser, JsonGenerator json, int index) {
        int depth = 0;
        do {
            JsonToken token = parser.currentToken();
            if (token == JsonToken.VALUE_NUMBER_FLOAT && !Double.isFinite(parser.getDoubleValue())) {
                throw JobException.validation("items[" + index + "]", "contains a number too large to represent");
            }
            if (token == JsonToken.VALUE_NUMBER_INT) {
                json.writeNumber(parser.getTextCharacters(), parser.getTextOffset(), parser.getTextLength());
            } else if ((token == JsonToken.VALUE_STRING || token == JsonToken.PROPERTY_NAME)
                    && hasLoneSurrogate(parser.getTextCharacters(), parser.getTextOffset(), parser.getTextLength())) {
                // As for a job's args (SubmitRequest.checkText): no UTF-8 store or strict reader keeps it.
                throw JobException.validation("items[" + index + "]", "contains an unpaired UTF-16 surrogate (not valid Unicode text)");
            } else {
                json.copyCurrentEvent(parser);
            }
            if (token.isStructStart()) {
                depth++;
            } else if (token.isStructEnd()) {
                depth--;
            }
        } while (depth > 0 && parser.nextToken() != null);
    }

    static boolean hasLoneSurrogate(char[] text, int offset, int length) {
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            char c = text[i];
            if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(text[i + 1])) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }
}
