package io.jobpool.job;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.BitSet;

/**
 * A batch's items as the request listed them: each item's compact JSON text, back to back, with
 * where each ends and whether it is an array. A request's million items are copied into chunk
 * arguments from here; as a tree they were a million nodes, and on two cores the collector's
 * copying of them cost as much as the rest of the submit.
 *
 * <p>The text is kept in segments of {@value #SEGMENT_BYTES} bytes, not one array: a million
 * items are 7 MB, and an array that size (and each one a growing buffer doubles into) is a
 * humongous object for G1, which starts a concurrent marking of the whole heap. That marking cost
 * about a tenth of the server's CPU per million-item map, and its removal 10 % of the map's time
 * (bench/README.md).
 */
public final class BatchItems {

    /** Below half of G1's smallest region (1 MB), so no segment is ever a humongous object. */
    static final int SEGMENT_BYTES = 1 << 18;

    /** What a request's {@code items} held when it was not an array. */
    public static final BatchItems NOT_AN_ARRAY = new BatchItems(new byte[0][], new int[0], new BitSet(), -1);

    /** {@code [item,item,...]}: the items' texts separated by single commas, in brackets, cut into segments. */
    private final byte[][] segments;
    /** End (exclusive) of each item in the text; item {@code i} starts after the comma that ends item {@code i - 1}. */
    private final int[] ends;
    private final BitSet arrays;
    private final int size;

    private BatchItems(byte[][] segments, int[] ends, BitSet arrays, int size) {
        this.segments = segments;
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
            copy(first, args, 1, last - first);
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
            copy(start, args, at, ends[i] - start);
            at += ends[i] - start;
            args[at++] = ']';
        }
        args[at++] = ']';
        return new String(args, 0, at, StandardCharsets.UTF_8);
    }

    /** Adds the items' text, {@code [item,item,...]}, to the digest, segment by segment. */
    void digestInto(java.security.MessageDigest digest) {
        if (size == 0) {
            digest.update(new byte[] {'[', ']'});
            return;
        }
        int length = ends[size - 1] + 1;
        if (holdsAnObject(length)) {
            // Item by item, each with its objects' properties sorted (CanonicalJson): a retry that
            // wrote them in another order is the same request.
            digest.update((byte) '[');
            for (int i = 0; i < size; i++) {
                if (i > 0) {
                    digest.update((byte) ',');
                }
                byte[] item = new byte[length(i)];
                copy(start(i), item, 0, item.length);
                digest.update(CanonicalJson.of(item));
            }
            digest.update((byte) ']');
            return;
        }
        for (int position = 0; position < length; position += SEGMENT_BYTES) {
            digest.update(segments[position / SEGMENT_BYTES], 0, Math.min(SEGMENT_BYTES, length - position));
        }
    }

    private boolean holdsAnObject(int length) {
        for (int position = 0; position < length; position++) {
            if (segments[position / SEGMENT_BYTES][position % SEGMENT_BYTES] == '{') {
                return true;
            }
        }
        return false;
    }

    /** Copies {@code length} bytes of the text from {@code position} on, across segments. */
    private void copy(int position, byte[] to, int at, int length) {
        while (length > 0) {
            byte[] segment = segments[position / SEGMENT_BYTES];
            int offset = position % SEGMENT_BYTES;
            int n = Math.min(length, SEGMENT_BYTES - offset);
            System.arraycopy(segment, offset, to, at, n);
            position += n;
            at += n;
            length -= n;
        }
    }

    /**
     * Collects items, in order, as a JSON writer emits them into one array through
     * {@link #output()}.
     */
    public static final class Builder {

        private int[] ends = new int[1024];
        private final BitSet arrays = new BitSet();
        private int size;
        private byte[][] segments = new byte[4][];
        private int written;

        /** Where the writer puts the array's text: {@code [} then the items, separated by single commas, then {@code ]}. */
        public OutputStream output() {
            return new OutputStream() {
                @Override
                public void write(int b) {
                    segment()[written++ % SEGMENT_BYTES] = (byte) b;
                }

                @Override
                public void write(byte[] bytes, int offset, int length) {
                    while (length > 0) {
                        byte[] segment = segment();
                        int n = Math.min(length, segment.length - written % SEGMENT_BYTES);
                        System.arraycopy(bytes, offset, segment, written % SEGMENT_BYTES, n);
                        written += n;
                        offset += n;
                        length -= n;
                    }
                }
            };
        }

        /**
         * The segment the next byte goes into, with room for it. The first grows by doubling up to
         * full size, so a small batch holds a small array; the others are allocated full size.
         */
        private byte[] segment() {
            int index = written / SEGMENT_BYTES;
            if (index == segments.length) {
                segments = Arrays.copyOf(segments, index * 2);
            }
            if (segments[index] == null) {
                segments[index] = new byte[index == 0 ? 1024 : SEGMENT_BYTES];
            } else if (written % SEGMENT_BYTES >= segments[index].length) {
                segments[index] = Arrays.copyOf(segments[index], Math.min(SEGMENT_BYTES, segments[index].length * 2));
            }
            return segments[index];
        }

        /** How many bytes of the text {@link #output()} has received. */
        public int written() {
            return written;
        }

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

        /** The items, once the writer has written and flushed the whole array. */
        public BatchItems build() {
            return new BatchItems(segments, ends, arrays, size);
        }
    }
}
