package io.jobpool.job;

import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a chunk job as the outcomes of its items. A chunk that ran holds one outcome per item in
 * its result; a chunk lost as a whole (its worker died, it timed out) gives each item that had not
 * already succeeded the chunk's error; a cancelled chunk's unfinished items are cancelled.
 */
public final class ChunkItems {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ChunkItems() {}

    /** Counts of one final chunk, added to its batch when the chunk finishes. */
    public record Tally(int succeeded, int failed, int cancelled, int retried) {}

    public static void forEach(JobStatus status, String result, JobError chunkError, int firstIndex, int count,
            Consumer<ItemOutcome> each) {
        JsonNode outcomes = result == null ? null : JSON.readTree(result);
        for (int i = 0; i < count; i++) {
            JsonNode outcome = outcomes == null ? null : outcomes.get(i);
            int attempts = outcome == null ? 0 : outcome.path("attempts").asInt(1);
            if (outcome != null && outcome.has("result")) {
                each.accept(new ItemOutcome(firstIndex + i, outcome.get("result").toString(), null, attempts));
            } else if (status == JobStatus.SUCCEEDED && outcome != null && outcome.has("error")) {
                JsonNode error = outcome.get("error");
                each.accept(new ItemOutcome(firstIndex + i, null, new JobError(text(error, "type"), text(error, "message"),
                        text(error, "trace")), attempts));
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
        JsonNode outcomes = JSON.readTree(result);
        int failed = 0;
        JsonNode first = null;
        for (JsonNode outcome : outcomes) {
            if (outcome.has("error")) {
                failed++;
                first = first == null ? outcome.get("error") : first;
            }
        }
        if (failed == 0) {
            return null;
        }
        return new JobError("ItemsFailedError", failed + " of " + outcomes.size() + " items failed; the first: "
                + text(first, "type") + ": " + text(first, "message"), null);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asString();
    }
}
