package io.jobpool.pool;

import io.jobpool.protocol.OutputMarks;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a worker's stderr as bytes, never as lines: a task may write hundreds of megabytes without
 * a newline, and a line reader held all of them in the server's memory before any limit applied.
 * What it reads goes on as text, each read's worth at once, so a running job's log shows a line
 * still being written, and a lone carriage return stays one.
 *
 * <p>Where the worker marks its jobs' output ({@link OutputMarks}), text between a job's begin
 * and end marks is that job's and the rest is the worker's own (what processes a finished job
 * left behind write after its end, say), and each end mark is passed on. Elsewhere all text is the
 * worker's own. Marks and UTF-8 sequences split between two reads are put together again; what
 * is kept back for that is a few hundred bytes at most.
 */
final class StderrReader {

    /** Where the text goes; called on the reading thread. */
    interface Listener {
        /** {@code text} written while {@code jobId}'s output was open, or outside any job when {@code jobId} is null. */
        void text(String jobId, String text);

        /** The end mark of {@code jobId}: everything its processes wrote before it ended has been passed on. */
        void ended(String jobId);
    }

    private static final int READ_BYTES = 64 * 1024;
    /** The bytes after a mark's prefix: token, kind and id, NUL, newline. */
    private static final int MARK_BODY_BYTES = OutputMarks.MAX_BODY_BYTES + 2;

    /** What a mark's body starts with, its worker's token and a space; {@code null} where the worker marks nothing. */
    private final String token;
    private final Listener listener;
    private String job;
    private byte[] pending = new byte[0];

    /** @param token the token of the worker's output marks, or {@code null} when it marks nothing */
    StderrReader(String token, Listener listener) {
        this.token = token == null ? null : token + " ";
        this.listener = listener;
    }

    /** Reads {@code in} to its end. */
    void readAll(InputStream in) throws IOException {
        byte[] buffer = new byte[READ_BYTES];
        try {
            for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
                feed(buffer, read);
            }
        } finally {
            emit(pending, 0, pending.length);
            pending = new byte[0];
        }
    }

    /** Takes {@code length} more bytes of the stream. */
    void feed(byte[] bytes, int length) {
        byte[] data = Arrays.copyOf(pending, pending.length + length);
        System.arraycopy(bytes, 0, data, pending.length, length);
        int textFrom = 0;
        int scan = 0;
        while (token != null) {
            int nul = indexOfNul(data, scan);
            if (nul < 0) {
                break;
            }
            int size = markSize(data, nul);
            if (size == 0) {
                scan = nul + 1;
                continue;
            }
            emit(data, textFrom, nul);
            if (size < 0) {
                // Maybe a mark whose rest is still in the pipe.
                pending = Arrays.copyOfRange(data, nul, data.length);
                return;
            }
            mark(new String(data, nul + OutputMarks.PREFIX.length, size - OutputMarks.PREFIX.length - 2, StandardCharsets.UTF_8)
                    .substring(token.length()));
            textFrom = scan = nul + size;
        }
        int end = completeUtf8(data, textFrom, data.length);
        emit(data, textFrom, end);
        pending = Arrays.copyOfRange(data, end, data.length);
    }

    private void mark(String body) {
        if (body.startsWith(OutputMarks.BEGIN + " ")) {
            job = body.substring(OutputMarks.BEGIN.length() + 1);
        } else {
            String ended = body.substring(OutputMarks.END.length() + 1);
            job = null;
            listener.ended(ended);
        }
    }

    private void emit(byte[] data, int from, int to) {
        if (to > from) {
            listener.text(job, new String(data, from, to - from, StandardCharsets.UTF_8));
        }
    }

    private static int indexOfNul(byte[] data, int from) {
        for (int i = from; i < data.length; i++) {
            if (data[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The length of the mark at {@code at}, 0 if there is none (a NUL of the task's own), -1 if the
     * bytes read so far may still become one.
     */
    int markSize(byte[] data, int at) {
        byte[] prefix = OutputMarks.PREFIX;
        for (int i = 0; i < prefix.length; i++) {
            if (at + i >= data.length) {
                return -1;
            }
            if (data[at + i] != prefix[i]) {
                return 0;
            }
        }
        int body = at + prefix.length;
        int limit = Math.min(data.length, body + MARK_BODY_BYTES);
        for (int i = body; i < limit; i++) {
            if (data[i] == 0) {
                if (i + 1 >= data.length) {
                    return -1;
                }
                String text = new String(data, body, i - body, StandardCharsets.UTF_8);
                boolean ours = text.startsWith(token) && (text.startsWith(OutputMarks.BEGIN + " ", token.length())
                        || text.startsWith(OutputMarks.END + " ", token.length()));
                return data[i + 1] == '\n' && ours ? i + 2 - at : 0;
            }
        }
        return limit == data.length && limit < body + MARK_BODY_BYTES ? -1 : 0;
    }

    /** Where the last whole UTF-8 sequence in {@code data[from, to)} ends: the rest waits for the next read. */
    static int completeUtf8(byte[] data, int from, int to) {
        for (int i = to - 1; i >= Math.max(from, to - 3); i--) {
            int b = data[i] & 0xFF;
            if ((b & 0xC0) == 0x80) {
                continue;
            }
            int length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return i + length > to ? i : to;
        }
        return to;
    }
}
