package io.jobpool.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The worker writes results without data binding for the common types: what a client reads must be
 * exactly what Jackson's mapper would have written, and arguments must arrive as the same trees.
 */
class WorkerJsonTest {

    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    record Point(int x, int y) {}

    enum Colour { RED }

    @Test
    void resultsAreWrittenAsDataBindingWritesThem() {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("b", List.of(1, 2L, 3.5, 2.25f, "x", true));
        nested.put("a", null);
        nested.put("big", new BigInteger("123456789012345678901234567890"));
        nested.put("dec", new BigDecimal("1.50"));
        nested.put("inner", Map.of("k", new int[] {1, 2}));
        List<Object> withNull = new ArrayList<>(Arrays.asList("a", null));
        List<Object> values = List.of(
                "text with \"quotes\", \u00e9 and \u2028", 7, -7L, Long.MAX_VALUE, (short) 3, (byte) -1, 0.1, 1e300, -0.0,
                1.5f, true, new BigInteger("-98765432109876543210"),
                new BigInteger("42"), new BigInteger("-9223372036854775808"), new BigInteger("9223372036854775808"),
                new BigDecimal("1E+3"), nested, withNull, new String[] {"x", "y"}, new long[] {1L << 40},
                new double[] {0.5, 2}, new TreeMap<>(Map.of("z", 1, "y", 2)),
                MAPPER.readTree("{\"n\":[1,2.5,null,{\"deep\":true}],\"s\":\"v\"}"),
                // Not converted here: these go to data binding, whole.
                new Point(1, 2), Colour.RED, Optional.of(4), Map.of(1, "int key"), List.of(new Point(3, 4)),
                new byte[] {1, 2, 3}, 'c');
        for (Object value : values) {
            String written = new String(WorkerJson.write(WorkerJson.tree(value)), StandardCharsets.UTF_8);
            assertThat(written).as("%s (%s)", value, value.getClass().getSimpleName())
                    .isEqualTo(MAPPER.writeValueAsString(value));
        }
        assertThat(new String(WorkerJson.write(WorkerJson.tree(null)), StandardCharsets.UTF_8)).isEqualTo("null");
    }

    @Test
    void numbersJsonCannotHoldAreRefusedWhereverTheyAre() {
        for (Object value : List.of(Double.NaN, Float.POSITIVE_INFINITY, List.of(1, Double.NEGATIVE_INFINITY),
                Map.of("k", new double[] {Double.NaN}), new Point3(1, Double.POSITIVE_INFINITY),
                MAPPER.getNodeFactory().arrayNode().add(Double.NaN))) {
            assertThatThrownBy(() -> WorkerJson.tree(value)).as("%s", value).isInstanceOf(WorkerJson.NotJsonException.class)
                    .hasMessageContaining("not JSON");
        }
    }

    record Point3(int x, double y) {}

    @Test
    void argumentsAreReadIntoTheTreesDataBindingReads() {
        for (String text : List.of("[]", "{}", "[1,-2147483649,99999999999999999999,0.25,1e-7,\"s\",true,false,null]",
                "{\"a\":{\"b\":[{\"c\":1}]},\"a2\":\"\\u0000\\n\\\"\",\"dup\":1,\"dup\":2}", "3", "\"text\"", "null",
                "[1.0E400]", "  [ 1 , 2 ]  ")) {
            JsonNode read = WorkerJson.read(text);
            JsonNode expected = MAPPER.readTree(text);
            assertThat(read).as(text).isEqualTo(expected);
            assertThat(types(read)).as(text).isEqualTo(types(expected));
        }
    }

    @Test
    void malformedArgumentsAreRefused() {
        assertThatThrownBy(() -> WorkerJson.read("[1,")).isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> WorkerJson.read("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WorkerJson.read("[1] [2]")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nodesOnlyDataBindingCanWriteStillComeOutRight() {
        JsonNode tree = JsonNodeFactory.instance.objectNode()
                .put("bytes", new byte[] {1, 2})
                .putPOJO("point", new Point(5, 6));
        assertThat(new String(WorkerJson.write(tree), StandardCharsets.UTF_8)).isEqualTo(MAPPER.writeValueAsString(tree));
    }

    /** The node classes of a tree, depth first: equal trees of different number types differ here. */
    private static List<String> types(JsonNode node) {
        List<String> types = new ArrayList<>(List.of(node.getClass().getSimpleName()));
        for (JsonNode child : node.values()) {
            types.addAll(types(child));
        }
        return types;
    }
}
