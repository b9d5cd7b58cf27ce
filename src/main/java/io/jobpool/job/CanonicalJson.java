package io.jobpool.job;

import tools.jackson.databind.cfg.JsonNodeFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * JSON as two requests under one {@code Idempotency-Key} are compared: the properties of every
 * object sorted, so that {@code {"a":1,"b":2}} and {@code {"b":2,"a":1}} in {@code kwargs} or in a
 * batch's items are the same request, as the API promises, while the task still gets them in the
 * order the client wrote. Numbers keep their exact value ({@code 1} and {@code 1.0} stay apart: a
 * Python task tells an int from a float).
 */
final class CanonicalJson {

    private static final JsonMapper SORTED = JsonMapper.builder()
            .enable(JsonNodeFeature.WRITE_PROPERTIES_SORTED)
            .enable(JsonNodeFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    private CanonicalJson() {}

    /** The text with its objects' properties sorted; the text itself when it holds no object. */
    static String of(String json) {
        return json.indexOf('{') < 0 ? json : SORTED.writeValueAsString(SORTED.readTree(json));
    }

    /** The same for a text in UTF-8 bytes. */
    static byte[] of(byte[] json) {
        for (byte b : json) {
            if (b == '{') {
                return SORTED.writeValueAsBytes(SORTED.readTree(json));
            }
        }
        return json;
    }
}
