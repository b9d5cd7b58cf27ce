package io.jobpool.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a chunk's stored result reads back as the outcomes of its items (results, counts, retries). */
class ChunkItemsTest {

    private static final String MIXED = """
            [{"result":16},
             {"result":"a \\"quoted\\" line\\nand é"},
             {"result":{"b":[1,2.5,null],"a":true}},
             {"result":null},
             {"result":12345678901234567890123},
             {"error":{"type":"ValueError","message":"bad item","trace":"Traceback ...","extra":[1]}},
             {"result":-3,"attempts":3},
             {"error":{"type":"KeyError","message":null},"attempts":2}]""";

    private static List<ItemOutcome> read(JobStatus status, String result, JobError chunkError, int first, int count) {
        List<ItemOutcome> items = new ArrayList<>();
        ChunkItems.forEach(status, result, chunkError, 1, first, count, items::add);
        return items;
    }

    @Test
    void eachItemReadsBackAsTheJsonItReturnedOrTheErrorItRaised() {
        List<ItemOutcome> items = read(JobStatus.SUCCEEDED, MIXED, null, 100, 8);
        assertThat(items).extracting(ItemOutcome::index).containsExactly(100, 101, 102, 103, 104, 105, 106, 107);
        assertThat(items).extracting(ItemOutcome::result).containsExactly("16", "\"a \\\"quoted\\\" line\\nand é\"",
                "{\"b\":[1,2.5,null],\"a\":true}", "null", "12345678901234567890123", null, "-3", null);
        assertThat(items.get(5).error()).isEqualTo(new JobError("ValueError", "bad item", "Traceback ..."));
        assertThat(items.get(7).error()).isEqualTo(new JobError("KeyError", null, null));
        assertThat(items).extracting(ItemOutcome::attempts).containsExactly(1, 1, 1, 1, 1, 1, 3, 2);
    }

    @Test
    void theParserCopiesNumbersAndStringsAsTheWorkerWroteThem() {
        // The failed item at the end sends the chunk through the parser, not the quick scan.
        String written = "[ {\"result\": 16 }, {\"result\":-2.5e3,\"attempts\":1}, {\"result\" : \"caf\\u00e9 \\\"x\\\"\"},"
                + " {\"result\":[1, {\"a\": 2}]}, {\"result\":0.1}, {\"error\":{\"type\":\"E\"}}]";
        assertThat(read(JobStatus.SUCCEEDED, written, null, 0, 6)).extracting(ItemOutcome::result)
                .containsExactly("16", "-2.5e3", "\"caf\\u00e9 \\\"x\\\"\"", "[1,{\"a\":2}]", "0.1", null);
    }

    @Test
    void chunksWhoseItemsAllReturnedReadTheSameByTheQuickScanAsByTheParser() {
        List<String> returned = List.of(
                "[{\"result\":1},{\"result\":-2.5e3,\"attempts\":2},{\"result\":\"a,}\\\"]{\"},{\"result\":{\"x\":[1,{\"y\":\"]\"}]}}]",
                "[ { \"result\" : true } , {\"result\":null,\"attempts\":3}, {\"result\":false} ]",
                "[{\"result\":[]},{\"result\":\"\"}]",
                // Chars beyond Latin-1, a surrogate pair among them, before and inside the boundaries.
                "[{\"result\":\"\u2713\\\"\u20ac\"},{\"result\":[\"\ud83d\ude00]\",\"\u0151\"]},{\"result\":\"\u00e9\"}]");
        for (String result : returned) {
            int count = ChunkItems.summarize(result).outcomes();
            // The parser's reading: the same text with an outcome it cannot take the quick way appended, then cut off.
            String slow = result.substring(0, result.lastIndexOf(']')) + ",{\"error\":{\"type\":\"E\"}}]";
            assertThat(read(JobStatus.SUCCEEDED, result, null, 0, count))
                    .as(result)
                    .isEqualTo(read(JobStatus.SUCCEEDED, slow, null, 0, count + 1).subList(0, count));
            assertThat(ChunkItems.summarize(result).failures()).isNull();
        }
        assertThat(read(JobStatus.SUCCEEDED, returned.get(0), null, 0, 4)).extracting(ItemOutcome::result)
                .containsExactly("1", "-2.5e3", "\"a,}\\\"]{\"", "{\"x\":[1,{\"y\":\"]\"}]}");
        assertThat(ChunkItems.summarize(returned.get(1))).isEqualTo(new ChunkItems.Summary(3, 3, 0, 1, null));
        assertThat(read(JobStatus.SUCCEEDED, returned.get(3), null, 0, 3)).extracting(ItemOutcome::result)
                .containsExactly("\"\u2713\\\"\u20ac\"", "[\"\ud83d\ude00]\",\"\u0151\"]", "\"\u00e9\"");
        // Not JSON the workers write: left to the parser, which rejects it.
        assertThatThrownBy(() -> ChunkItems.summarize("[{\"result\":tru}]")).isInstanceOf(RuntimeException.class);
    }

    @Test
    void theTallyCountsSucceededFailedAndRetriedItems() {
        assertThat(ChunkItems.tally(JobStatus.SUCCEEDED, MIXED, null, 1, 8)).isEqualTo(new ChunkItems.Tally(6, 2, 0, 2));
    }

    @Test
    void itemsWithoutAnOutcomeTakeTheChunksErrorAndCountAnotherAttempt() {
        JobError lost = new JobError("WorkerLostError", "worker was killed by SIGKILL", null);
        List<ItemOutcome> items = read(JobStatus.FAILED, "[{\"result\":1},{\"error\":{\"type\":\"E\"}}]", lost, 0, 4);
        assertThat(items.get(0).result()).isEqualTo("1");
        assertThat(items.subList(1, 4)).allSatisfy(item -> assertThat(item.error()).isEqualTo(lost));
        assertThat(items).extracting(ItemOutcome::attempts).containsExactly(1, 2, 1, 1);
        assertThat(read(JobStatus.FAILED, null, null, 0, 2)).allSatisfy(item -> {
            assertThat(item.error().type()).isEqualTo("WorkerLostError");
            assertThat(item.attempts()).isEqualTo(1);
        });
    }

    @Test
    void itemsOfAChunkLostInEveryAttemptRanAsOftenAsTheChunk() {
        JobError timeout = new JobError("TimeoutError", "ran past 1 s", null);
        List<ItemOutcome> items = new ArrayList<>();
        ChunkItems.forEach(JobStatus.FAILED, null, timeout, 3, 0, 2, items::add);
        assertThat(items).extracting(ItemOutcome::attempts).containsExactly(3, 3);
        assertThat(ChunkItems.tally(JobStatus.FAILED, null, timeout, 3, 2)).as("both items ran more than once")
                .isEqualTo(new ChunkItems.Tally(0, 2, 0, 2));
        assertThat(ChunkItems.tally(JobStatus.FAILED, null, timeout, 1, 2)).isEqualTo(new ChunkItems.Tally(0, 2, 0, 0));
    }

    @Test
    void aCancelledChunksItemsSayWhyWhenThePoolWasTerminated() {
        JobError terminated = new JobError("CancelledError", "cancelled by POST /v1/pool/terminate", null);
        assertThat(read(JobStatus.CANCELLED, null, terminated, 0, 1).getFirst().error()).isEqualTo(terminated);
        assertThat(read(JobStatus.CANCELLED, null, null, 0, 1).getFirst().error().message()).contains("batch or its chunk job");
        JobError leftOver = new JobError("E", "an earlier attempt's error", null);
        assertThat(read(JobStatus.CANCELLED, null, leftOver, 0, 1).getFirst().error().type()).isEqualTo("CancelledError");
    }

    @Test
    void aCancelledChunkCancelsWhatHadNotSucceeded() {
        List<ItemOutcome> items = read(JobStatus.CANCELLED, "[{\"result\":4}]", null, 0, 3);
        assertThat(items.get(0).result()).isEqualTo("4");
        assertThat(items.subList(1, 3)).allSatisfy(item -> assertThat(item.error().type()).isEqualTo("CancelledError"));
        assertThat(ChunkItems.tally(JobStatus.CANCELLED, "[{\"result\":4}]", null, 1, 3)).isEqualTo(new ChunkItems.Tally(1, 0, 2, 0));
    }

    @Test
    void failuresNameHowManyItemsFailedAndTheFirstError() {
        assertThat(ChunkItems.summarize("[{\"result\":1},{\"result\":2}]").failures()).isNull();
        JobError error = ChunkItems.summarize(MIXED).failures();
        assertThat(error.type()).isEqualTo("ItemsFailedError");
        assertThat(error.message()).isEqualTo("2 of 8 items failed; the first: ValueError: bad item");
    }

    @Test
    void theSummaryOfAReturnedChunkCountsItsItemsAsTheItemByItemReadingDoes() {
        for (String result : List.of(MIXED, "[7,[1],{\"result\":2}]", "[{\"result\":1,\"attempts\":2},{}]", "[]")) {
            ChunkItems.Summary summary = ChunkItems.summarize(result);
            assertThat(summary.tally(summary.outcomes()))
                    .as(result)
                    .isEqualTo(ChunkItems.tally(JobStatus.SUCCEEDED, result, null, 1, summary.outcomes()));
        }
        assertThat(ChunkItems.summarize(MIXED).tally(8)).isEqualTo(new ChunkItems.Tally(6, 2, 0, 2));
        // Fewer or more outcomes than items: only the item-by-item reading knows what the gap means.
        assertThat(ChunkItems.summarize(MIXED).tally(9)).isNull();
        assertThat(ChunkItems.summarize(MIXED).tally(7)).isNull();
    }

    @Test
    void anOutcomeThatIsNotAnObjectHasNeitherResultNorError() {
        List<ItemOutcome> items = read(JobStatus.SUCCEEDED, "[7,[1],{\"result\":2}]", null, 0, 3);
        assertThat(items.get(0).error().type()).isEqualTo("WorkerLostError");
        assertThat(items.get(1).error().type()).isEqualTo("WorkerLostError");
        assertThat(items.get(2).result()).isEqualTo("2");
        assertThat(ChunkItems.summarize("[7,[1],{\"result\":2}]").failures().message())
                .isEqualTo("2 of 3 items failed; the first: WorkerLostError: the chunk ended without an outcome for this item");
        assertThatThrownBy(() -> ChunkItems.summarize("{\"result\":1}")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theValuesOfAChunkWhoseItemsAllReturnedReadAsItsOutcomesDo() {
        List<String> values = List.of("16", "-2.5e3", "\"a,}\\\"]{\"", "{\"x\":[1,{\"y\":\"]\"}]}", "true", "null", "[]", "\"\"");
        String compact = "{\"results\":[" + String.join(",", values) + "]}";
        String outcomes = values.stream().map(v -> "{\"result\":" + v + "}").collect(java.util.stream.Collectors.joining(",", "[", "]"));
        assertThat(read(JobStatus.SUCCEEDED, compact, null, 10, 8)).isEqualTo(read(JobStatus.SUCCEEDED, outcomes, null, 10, 8));
        assertThat(read(JobStatus.SUCCEEDED, compact, null, 0, 8)).extracting(ItemOutcome::result).containsExactlyElementsOf(values);
        assertThat(ChunkItems.summarize(compact)).isEqualTo(new ChunkItems.Summary(8, 8, 0, 0, null));
        assertThat(ChunkItems.tally(JobStatus.SUCCEEDED, compact, null, 1, 8)).isEqualTo(new ChunkItems.Tally(8, 0, 0, 0));
        // Spaces anywhere JSON allows them, and an empty chunk.
        assertThat(read(JobStatus.SUCCEEDED, " { \"results\" : [ 1 , \"b\" ] } ", null, 0, 2)).extracting(ItemOutcome::result)
                .containsExactly("1", "\"b\"");
        assertThat(ChunkItems.summarize("{\"results\":[]}")).isEqualTo(new ChunkItems.Summary(0, 0, 0, 0, null));
        // What the quick scan does not take (another key after the values) the parser still reads.
        assertThat(read(JobStatus.SUCCEEDED, "{\"results\":[1,[2]],\"more\":0}", null, 0, 2)).extracting(ItemOutcome::result)
                .containsExactly("1", "[2]");
        // A lost or cancelled chunk's values are kept for the items they cover, like its outcomes.
        assertThat(read(JobStatus.CANCELLED, "{\"results\":[4]}", null, 0, 2)).extracting(ItemOutcome::succeeded)
                .containsExactly(true, false);
        // Not JSON: left to the parser, which rejects it.
        assertThatThrownBy(() -> ChunkItems.summarize("{\"results\":[tru]}")).isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> ChunkItems.summarize("{\"results\":[1,}")).isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> ChunkItems.summarize("{\"results\":[1,")).isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> ChunkItems.summarize("{\"results\":[12")).isInstanceOf(RuntimeException.class);
    }

    @Test
    void theResultsOfReturnedChunksAreWrittenAsTheValuesTheWorkerWrote() throws Exception {
        java.io.StringWriter out = new java.io.StringWriter();
        assertThat(ChunkItems.appendResults(JobStatus.SUCCEEDED, "{\"results\":[1,\"a,b\",[2,3]]}", 3, true, out)).isTrue();
        assertThat(ChunkItems.appendResults(JobStatus.SUCCEEDED, "[{\"result\":4},{\"result\":5,\"attempts\":2}]", 2, false, out))
                .isTrue();
        assertThat(ChunkItems.appendResults(JobStatus.SUCCEEDED, "{ \"results\" : [ 6 ,7 ] }", 2, false, out)).isTrue();
        assertThat(out.toString()).isEqualTo("1,\"a,b\",[2,3],4,5,6,7");
        // Anything but every item returned is not written here: the caller reads it item by item.
        assertThat(ChunkItems.appendResults(JobStatus.SUCCEEDED, MIXED, 8, false, out)).isFalse();
        assertThat(ChunkItems.appendResults(JobStatus.SUCCEEDED, "{\"results\":[1,2]}", 3, false, out)).isFalse();
        assertThat(ChunkItems.appendResults(JobStatus.CANCELLED, "{\"results\":[1,2]}", 2, false, out)).isFalse();
        assertThat(out.toString()).isEqualTo("1,\"a,b\",[2,3],4,5,6,7");
    }
}
