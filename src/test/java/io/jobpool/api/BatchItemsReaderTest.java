package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jobpool.job.BatchItems;
import io.jobpool.job.JobException;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** A batch request's items are read into compact text, and chunks' arguments cut from it, without a tree. */
class BatchItemsReaderTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static BatchItems items(String items) {
        return JSON.readValue("{\"task\":\"square\",\"items\":" + items + ",\"chunksize\":2}", BatchRequest.class).items();
    }

    @Test
    void eachItemIsKeptAsItsCompactJson() {
        BatchItems items = items("[ 1, \"a,]b\\u00e9\" , [2, 3], {\"x\": null}, -2.5, true, [], \"\"]");
        assertThat(items.isArray()).isTrue();
        assertThat(items.size()).isEqualTo(8);
        assertThat(items.args(0, 8, false))
                .isEqualTo("[[1],[\"a,]bé\"],[[2,3]],[{\"x\":null}],[-2.5],[true],[[]],[\"\"]]");
        assertThat(items.args(2, 3, true)).isEqualTo("[[2,3]]");
        assertThat(items.args(6, 8, true)).isEqualTo("[[],\"\"]");
        assertThat(items.args(3, 3, false)).isEqualTo("[]");
        assertThat(java.util.stream.IntStream.range(0, 8).mapToObj(items::isArray))
                .containsExactly(false, false, true, false, false, false, true, false);
        // Lengths in UTF-8 bytes, as a job's arguments are bounded.
        assertThat(items.length(0)).isEqualTo(1);
        assertThat(items.length(1)).isEqualTo("\"a,]bé\"".getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        assertThat(items.length(2)).isEqualTo(5);
    }

    @Test
    void whatIsNotAnArrayIsKeptForValidationToName() {
        assertThat(items("5").isArray()).isFalse();
        assertThat(items("{\"a\":[1]}").isArray()).isFalse();
        assertThat(items("null")).isNull();
        assertThat(items("[]").size()).isZero();
        assertThat(items("[]").args(0, 0, false)).isEqualTo("[]");
    }

    @Test
    void nestedItemsAndNumbersAreCopiedAsWritten() {
        BatchItems items = items("[{\"a\":[1,{\"b\":[]}]},[[[-0.125]]],12345678901234567890,1e3]");
        assertThat(items.size()).isEqualTo(4);
        assertThat(items.args(0, 4, false)).isEqualTo("[[{\"a\":[1,{\"b\":[]}]}],[[[[-0.125]]]],[12345678901234567890],[1000.0]]");
    }

    @Test
    void aNumberBeyondADoublesRangeIsRefusedNamingItsItem() {
        assertThatThrownBy(() -> items("[1,[2,{\"x\":1e400}]]")).hasRootCauseInstanceOf(JobException.class)
                .rootCause().hasMessageContaining("items[1]: contains a number too large to represent");
    }

    @Test
    void aMillionItemsAreReadInOrder() {
        String million = java.util.stream.IntStream.range(0, 1_000_000).mapToObj(Integer::toString)
                .collect(java.util.stream.Collectors.joining(",", "[", "]"));
        BatchItems items = items(million);
        assertThat(items.size()).isEqualTo(1_000_000);
        assertThat(items.args(999_998, 1_000_000, false)).isEqualTo("[[999998],[999999]]");
        assertThat(items.args(0, 3, true)).isEqualTo("[0,1,2]");
    }

    @Test
    void itemsAreCutExactlyWhereverTheTextIsSplitInMemory() {
        // Kept in 256 KiB pieces: items cross the boundaries, one is longer than a piece.
        String big = "x".repeat(600_000);
        StringBuilder request = new StringBuilder("[");
        java.util.List<String> expected = new java.util.ArrayList<>();
        for (int i = 0; i < 60_000; i++) {
            String item = i == 30_000 ? "\"" + big + "\"" : i % 3 == 0 ? "[" + i + ",-" + i + "]" : Integer.toString(i * 7919);
            request.append(i == 0 ? "" : ",").append(item);
            expected.add(item);
        }
        BatchItems items = items(request.append("]").toString());
        assertThat(items.size()).isEqualTo(60_000);
        for (int i = 0; i < 60_000; i += 1 + i % 97) {
            assertThat(items.args(i, i + 1, false)).isEqualTo("[[" + expected.get(i) + "]]");
            assertThat(items.length(i)).isEqualTo(expected.get(i).length());
        }
        assertThat(items.args(29_999, 30_002, false)).isEqualTo("[[" + String.join("],[", expected.subList(29_999, 30_002)) + "]]");
        assertThat(items.args(0, 60_000, false)).isEqualTo("[[" + String.join("],[", expected) + "]]");
    }
}
