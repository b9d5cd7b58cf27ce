package io.jobpool.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.protocol.OutputMarks;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tests how a worker's stderr is split into jobs' output and the worker's own, read by bytes. */
class StderrReaderTest {

    private static final String TOKEN = OutputMarks.newToken();

    /** What the listener heard: "job:text" (job "-" for the worker's own), "end:job". */
    private final List<String> heard = new ArrayList<>();
    private final StderrReader.Listener listener = new StderrReader.Listener() {
        @Override
        public void text(String jobId, String text) {
            String who = jobId == null ? "-" : jobId;
            int last = heard.size() - 1;
            // Adjacent text of one owner is joined: how reads split it does not matter.
            if (last >= 0 && heard.get(last).startsWith(who + ":")) {
                heard.set(last, heard.get(last) + text);
            } else {
                heard.add(who + ":" + text);
            }
        }

        @Override
        public void ended(String jobId) {
            heard.add("end:" + jobId);
        }
    };

    @Test
    void textBetweenAJobsMarksIsThatJobsAndTheRestTheWorkersOwn() throws Exception {
        byte[] stream = bytes("booting\n", OutputMarks.begin(TOKEN, "j1"), "hello\npartial", OutputMarks.end(TOKEN, "j1"), "late",
                OutputMarks.begin(TOKEN, "j2"), "second\n", OutputMarks.end(TOKEN, "j2"));
        // Every way of cutting the stream into reads gives the same: marks and text put together again.
        for (int size = 1; size <= stream.length; size++) {
            heard.clear();
            new StderrReader(TOKEN, listener).readAll(new Chunked(stream, size));
            assertThat(heard).as("reads of %d bytes", size)
                    .containsExactly("-:booting\n", "j1:hello\npartial", "end:j1", "-:late", "j2:second\n", "end:j2");
        }
    }

    @Test
    void aCharacterSplitBetweenReadsIsKeptWhole() throws Exception {
        byte[] stream = bytes(OutputMarks.begin(TOKEN, "j"), "día 😀 ok\r", OutputMarks.end(TOKEN, "j"));
        for (int size = 1; size <= 8; size++) {
            heard.clear();
            new StderrReader(TOKEN, listener).readAll(new Chunked(stream, size));
            assertThat(heard).as("reads of %d bytes", size).containsExactly("j:día 😀 ok\r", "end:j");
        }
    }

    /** A task or its child writing marks of its own, without the token only the worker knows, writes text. */
    @Test
    void nulBytesAndForgedMarksAreText() throws Exception {
        String forged = "a\0b\0jobpool-\0jobpool-other x\0\n\0jobpool-end j\0\n" + new String(OutputMarks.end("guess", "j"),
                StandardCharsets.UTF_8) + new String(OutputMarks.begin(OutputMarks.newToken(), "k"), StandardCharsets.UTF_8) + "no newline";
        byte[] stream = bytes(OutputMarks.begin(TOKEN, "j"), forged, OutputMarks.end(TOKEN, "j"));
        for (int size = 1; size <= stream.length; size += 7) {
            heard.clear();
            new StderrReader(TOKEN, listener).readAll(new Chunked(stream, size));
            assertThat(heard).as("reads of %d bytes", size).containsExactly("j:" + forged, "end:j");
        }
    }

    @Test
    void aWorkerThatMarksNothingWritesOnlyItsOwn() throws Exception {
        byte[] stream = bytes("one\n", OutputMarks.begin(TOKEN, "j"), "two\n");
        new StderrReader(null, listener).readAll(new ByteArrayInputStream(stream));
        assertThat(heard).hasSize(1).first().asString().startsWith("-:one\n").endsWith("two\n");
    }

    /**
     * A line of megabytes is passed on as it is read, never held whole: what is kept back between
     * reads is a mark's or a character's worth.
     */
    @Test
    void aLongLineGoesOnReadByRead() throws Exception {
        List<Integer> sizes = new ArrayList<>();
        StderrReader reader = new StderrReader(TOKEN, new StderrReader.Listener() {
            @Override
            public void text(String jobId, String text) {
                sizes.add(text.length());
            }

            @Override
            public void ended(String jobId) {}
        });
        byte[] block = "x".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 64; i++) {
            reader.feed(block, block.length);
        }
        assertThat(sizes).hasSize(64).allMatch(size -> size == block.length);
    }

    private static byte[] bytes(Object... parts) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object part : parts) {
            out.write(part instanceof byte[] b ? b : ((String) part).getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    /** A stream that gives at most {@code size} bytes per read, as a pipe may. */
    private static final class Chunked extends InputStream {
        private final ByteArrayInputStream in;
        private final int size;

        Chunked(byte[] data, int size) {
            this.in = new ByteArrayInputStream(data);
            this.size = size;
        }

        @Override
        public int read() {
            return in.read();
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
            return in.read(buffer, offset, Math.min(length, size));
        }
    }
}
