package io.jobpool.job;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.BitSet;

/**
 * A batch's items as the request listed them: each item's compact JSON text, back to back in one
 * UTF-8 array, with where each ends and whether it is an array. A request's million items are
 * copied into chunk arguments from here; as a tree they were a million nodes, and on two cores the
 * collector's copying of them cost as much as the rest of the submit.
 */
public final class BatchItems {

    /** What a request's {@code items} held when it was not an array. */
    public static final BatchItems NOT_AN_ARRAY = new BatchItems(new byte[0], new int[0], new BitSet(), -1);

    /** {@code [item,item,...]}: the items' texts separated by single commas, in brackets. */
    private final byte[] json;
    /** End (exclusive) of each item in {@link #json}; item {@code i} starts after the comma that ends item {@code i - 1}. */
    private final int[] ends;
    private final BitSet arrays;
    private final int size;

    private BatchItems(byte[] json, int[] ends, BitSet arrays, int size) {
        this.json = json;
        this.ends = ends;
        this.arrays = arrays;
        this.size = size;
    }

    /** Whether the request's {@code items} was a JSON array at all. */
    public boolean isArray() {
        return size >= 0;
    }

    public int size() {
        return Math.max(size, 0);
    }

    /** Whether item {@code i} is a JSON array (a {@code starmap} item must be: it is the argument list). */
    public boolean isArray(int i) {
        return arrays.get(i);
    }

    /** Item {@code i}'s length in bytes as compact JSON. */
    public int length(int i) {
        return ends[i] - start(i);
    }

    private int start(int i) {
        return i == 0 ? 1 : ends[i - 1] + 1;
    }

    /**
     * Items {@code from} (inclusive) to {@code to} (exclusive) as one JSON array of argument arrays:
     * each item as it is ({@code starmap}, where it is the argument list) or as the one argument of
     * its call ({@code map}).
     */
    public String args(int from, int to, boolean starmap) {
        if (from == to) {
            return "[]";
        }
        int first = start(from);
        int last = ends[to - 1];
        if (starmap) {
            byte[] args = new byte[last - first + 2];
            args[0] = '[';
            System.arraycopy(json, first, args, 1, last - first);
            args[args.length - 1] = ']';
            return new String(args, StandardCharsets.UTF_8);
        }
        // Each item in brackets: two more bytes per item.
        byte[] args = new byte[last - first + 2 + 2 * (to - from)];
        int at = 0;
        args[at++] = '[';
        for (int i = from; i < to; i++) {
            if (i > from) {
                args[at++] = ',';
            }
            args[at++] = '[';
            int start = start(i);
            System.arraycopy(json, start, args, at, ends[i] - start);
            at += ends[i] - start;
            args[at++] = ']';
        }
        args[at++] = ']';
        return new String(args, 0, at, StandardCharsets.UTF_8);
    }

    /** Collects items, in order, as a JSON writer emits them into one array. */
    public static final class Builder {

        private int[] ends = new int[1024];
        private final BitSet arrays = new BitSet();
        private int size;

        /**
         * Records the next item, whose text ended at {@code end} in the array being written (the
         * opening bracket is at 0, and the items are separated by single commas).
         */
        public void add(int end, boolean array) {
            if (size == ends.length) {
                ends = Arrays.copyOf(ends, size * 2);
            }
            if (array) {
                arrays.set(size);
            }
            ends[size++] = end;
        }

        /** @param json the whole array as written: {@code [} then the items then {@code ]} */
        public BatchItems build(byte[] json) {
            return new BatchItems(json, ends, arrays, size);
        }
    }
}
