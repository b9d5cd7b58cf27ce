package io.jobpool.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** Tests for {@link FrameCodec}. */
class FrameCodecTest {

    @Test
    void everyMessageSurvivesARoundTrip() throws Exception {
        List<Message> messages = List.of(
                new Message.Init(true, "sleep", "[1]", 100),
                new Message.Run("id", "echo", "[1,\"\\u00e9\"]", "{}", 2),
                new Message.Shutdown(),
                new Message.Ready(42, List.of(new Message.TaskInfo("echo", "Echo"))),
                new Message.Output("id", "line\n"),
                new Message.Progress("id", 0.5, "half"),
                new Message.Succeeded("id", "{\"a\":1}"),
                new Message.Failed("id", "java.lang.Error", "no", "trace"));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = FrameCodec.output(bytes);
        for (Message message : messages) {
            FrameCodec.write(out, message);
        }
        var in = FrameCodec.input(new ByteArrayInputStream(bytes.toByteArray()));
        for (Message message : messages) {
            assertThat(FrameCodec.read(in)).isEqualTo(message);
        }
        assertThatThrownBy(() -> FrameCodec.read(in)).isInstanceOf(EOFException.class);
    }

    private static final String LONG_ARGS = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "[" + i + "]")
            .collect(java.util.stream.Collectors.joining(",", "[", "]"));

    /** Every message kind with its fields set, and with what may be null left null. */
    private static final List<Message> EVERY_KIND = List.of(
            new Message.Init(true, "sleep", "[1]", 100),
            new Message.Init(false, null, null, 0),
            new Message.Init(true, null, "[]", 10).withOutputToken("0123abcd"),
            new Message.Run("id", "echo", "[1,\"\\u00e9\"]", "{}", 2),
            new Message.Run("id", "square", "[[1],[2]]", "{}", 3, true, "[{\"result\":1},null]"),
            new Message.Shutdown(),
            new Message.Ready(42, List.of(new Message.TaskInfo("echo", "Echo"), new Message.TaskInfo("noop", null))),
            new Message.Ready(43, List.of()),
            new Message.Output("id", "line \u2713\n"),
            new Message.Progress("id", 0.5, "half"),
            new Message.Progress("id", 1, null),
            new Message.Succeeded("id", "{\"a\":1}"),
            new Message.Succeeded("id", null),
            new Message.Failed("id", "java.lang.Error", "no", "trace"),
            new Message.Failed("id", "ValueError", null, null),
            // Long texts: plain ASCII ones are copied as bytes, anything JSON escapes the usual way.
            new Message.Run("id", "square", LONG_ARGS, "{}", 1, true, null),
            new Message.Succeeded("id", "{\"results\":[" + "12345,".repeat(100) + "6]}"),
            new Message.Run("id", "echo", "[\"" + "tab\t,".repeat(100) + "\"]", "{}", 1),
            new Message.Succeeded("id", "[\"" + "caf\u00e9 \u2713 \\ / ".repeat(40) + "\"]"),
            new Message.Succeeded("id", "[\"" + "x".repeat(300) + "\u007f\"]"));

    /**
     * The frames are written and read without data binding, but the JSON is the one data binding
     * makes of the annotated records: what the Python worker reads and writes.
     */
    @Test
    void theJsonIsTheOneDataBindingMakesOfTheRecords() throws Exception {
        JsonMapper binding = JsonMapper.builder().build();
        for (Message message : EVERY_KIND) {
            String bound = binding.writeValueAsString(message);
            assertThat(new String(FrameCodec.encode(message), StandardCharsets.UTF_8)).as(bound).isEqualTo(bound);
            assertThat(decode(bound.getBytes(StandardCharsets.UTF_8))).isEqualTo(message);
        }
    }

    /** As Python's json.dumps writes it: spaces, any field order, whole numbers for floats, fields we do not know. */
    @Test
    void aFrameIsReadWhateverTheOrderSpacingAndExtraFields() throws Exception {
        assertThat(decode("""
                {"result": "[1, 2]", "pid": 7, "jobId": "a", "kind": "succeeded", "extra": {"nested": [1, {"x": null}]}}"""))
                .isEqualTo(new Message.Succeeded("a", "[1, 2]"));
        assertThat(decode("""
                {"kind": "progress", "jobId": "a", "fraction": 1, "message": "done"}"""))
                .isEqualTo(new Message.Progress("a", 1.0, "done"));
        assertThat(decode("""
                {"kind": "ready", "pid": 12, "tasks": [{"name": "py_square", "description": "squares", "runtime": "python"}]}"""))
                .isEqualTo(new Message.Ready(12, List.of(new Message.TaskInfo("py_square", "squares"))));
        assertThat(decode("{\"kind\":\"failed\",\"jobId\":\"a\",\"type\":\"KeyError\"}"))
                .as("absent fields are null").isEqualTo(new Message.Failed("a", "KeyError", null, null));
    }

    @Test
    void jsonThatIsNoMessageIsACorruptFrame() {
        for (String notAMessage : List.of("[1,2]", "{\"jobId\":\"a\"}", "{\"kind\":\"launch\"}", "{\"kind\":\"run\",\"attempt\":\"two\"}",
                "{\"kind\":\"run\"", "\"run\"", "{\"kind\":\"ready\",\"tasks\":{\"name\":\"x\"}}")) {
            assertThatThrownBy(() -> decode(notAMessage)).as(notAMessage).isInstanceOf(FrameCodec.CorruptFrameException.class);
        }
    }

    private static Message decode(String json) throws Exception {
        return decode(json.getBytes(StandardCharsets.UTF_8));
    }

    private static Message decode(byte[] payload) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(payload.length);
        out.write(payload);
        return FrameCodec.read(FrameCodec.input(new ByteArrayInputStream(bytes.toByteArray())));
    }

    @Test
    void rawTextOnThePipeIsACorruptFrameNotAMessage() {
        var in = FrameCodec.input(new ByteArrayInputStream("hello from a stray println\n".getBytes()));
        assertThatThrownBy(() -> FrameCodec.read(in)).isInstanceOf(FrameCodec.CorruptFrameException.class);
    }

    @Test
    void aTruncatedFrameIsAnEndOfStream() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new DataOutputStream(bytes).writeInt(100);
        bytes.write("{\"kind\"".getBytes());
        var in = FrameCodec.input(new ByteArrayInputStream(bytes.toByteArray()));
        assertThatThrownBy(() -> FrameCodec.read(in)).isInstanceOf(EOFException.class);
    }

    /** A task's own System.exit(137) looks like a SIGKILL to Java: the code is said as a code, the signal as a possibility. */
    @Test
    void exitStatusesAreDescribedAsCodesWithoutAnInventedCause() {
        assertThat(ExitCodes.describe(137)).isEqualTo("exited with code 137 (also the code of a process killed by SIGKILL, signal 9)");
        assertThat(ExitCodes.describe(143)).startsWith("exited with code 143 (also").doesNotContain("was killed");
        assertThat(ExitCodes.hint(137, "")).isEmpty();
        assertThat(ExitCodes.describe(78)).isEqualTo("exited with code 78");
        assertThat(ExitCodes.describe(76)).isEqualTo("exited with code 76");
        assertThat(ExitCodes.describe(3)).as("a task's own System.exit(3) is no OutOfMemoryError").isEqualTo("exited with code 3");
        assertThat(ExitCodes.hint(3, "Terminating due to java.lang.OutOfMemoryError: Java heap space")).isEqualTo(" (OutOfMemoryError)");
        assertThat(ExitCodes.hint(3, "MemoryError")).isEqualTo(" (MemoryError)");
        assertThat(ExitCodes.hint(137, "java.lang.OutOfMemoryError printed by the task before a kill -9")).isEmpty();
        assertThat(ExitCodes.describe(2)).isEqualTo("exited with code 2");
    }
}
