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
        ChunkItems.forEach(status, result, chunkError, first, count, items::add);
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
    void theTallyCountsSucceededFailedAndRetriedItems() {
        assertThat(ChunkItems.tally(JobStatus.SUCCEEDED, MIXED, null, 8)).isEqualTo(new ChunkItems.Tally(6, 2, 0, 2));
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
    void aCancelledChunkCancelsWhatHadNotSucceeded() {
        List<ItemOutcome> items = read(JobStatus.CANCELLED, "[{\"result\":4}]", null, 0, 3);
        assertThat(items.get(0).result()).isEqualTo("4");
        assertThat(items.subList(1, 3)).allSatisfy(item -> assertThat(item.error().type()).isEqualTo("CancelledError"));
        assertThat(ChunkItems.tally(JobStatus.CANCELLED, "[{\"result\":4}]", null, 3)).isEqualTo(new ChunkItems.Tally(1, 0, 2, 0));
    }

    @Test
    void failuresNameHowManyItemsFailedAndTheFirstError() {
        assertThat(ChunkItems.failures("[{\"result\":1},{\"result\":2}]")).isNull();
        JobError error = ChunkItems.failures(MIXED);
        assertThat(error.type()).isEqualTo("ItemsFailedError");
        assertThat(error.message()).isEqualTo("2 of 8 items failed; the first: ValueError: bad item");
    }

    @Test
    void anOutcomeThatIsNotAnObjectHasNeitherResultNorError() {
        List<ItemOutcome> items = read(JobStatus.SUCCEEDED, "[7,[1],{\"result\":2}]", null, 0, 3);
        assertThat(items.get(0).error().type()).isEqualTo("WorkerLostError");
        assertThat(items.get(1).error().type()).isEqualTo("WorkerLostError");
        assertThat(items.get(2).result()).isEqualTo("2");
        assertThatThrownBy(() -> ChunkItems.failures("{\"result\":1}")).isInstanceOf(IllegalArgumentException.class);
    }
}
