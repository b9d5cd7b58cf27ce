package io.jobpool.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.util.List;
import org.junit.jupiter.api.Test;

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

    @Test
    void exitStatusesAreDescribedWithTheirSignal() {
        assertThat(ExitCodes.describe(137)).isEqualTo("was killed by SIGKILL (signal 9)");
        assertThat(ExitCodes.hint(137, "")).contains("perhaps out of memory");
        assertThat(ExitCodes.hint(3, "Terminating due to java.lang.OutOfMemoryError: Java heap space")).contains("OutOfMemoryError");
        assertThat(ExitCodes.describe(2)).isEqualTo("exited with code 2");
    }
}
