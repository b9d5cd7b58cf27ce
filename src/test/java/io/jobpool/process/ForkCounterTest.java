package io.jobpool.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Tests for {@link ForkCounter}: reading the kernel's last PID, and when a reading is trusted. */
class ForkCounterTest {

    @Test
    void readsTheLastFieldOfLoadavg() {
        assertThat(lastPid("0.50 0.40 0.30 2/345 12345\n")).isEqualTo(OptionalLong.of(12345));
        assertThat(lastPid("12.00 9.75 3.20 17/20113 4194303")).isEqualTo(OptionalLong.of(4194303));
    }

    @Test
    void aTextOfAnotherShapeIsNoCount() {
        assertThat(lastPid("")).isEmpty();
        assertThat(lastPid("\n")).isEmpty();
        assertThat(lastPid("0.50 0.40 0.30 2/345\n")).as("four fields").isEmpty();
        assertThat(lastPid("0.50 0.40 0.30 2/345 12x\n")).isEmpty();
        assertThat(lastPid("0.50 0.40 0.30 2/345 1234567890123456789\n")).as("not a PID").isEmpty();
        assertThat(lastPid("12345")).isEmpty();
    }

    @Test
    void theLiveFigureMovesAcrossAForkAndIsTrustedOnlyThen() throws Exception {
        OptionalLong before = ForkCounter.read();
        if (before.isEmpty()) {
            assertThat(System.getProperty("os.name")).as("only Linux has /proc/loadavg").doesNotContain("Linux");
            return;
        }
        ForkCounter counter = new ForkCounter();
        assertThat(counter.nothingForked(before, before)).as("not trusted before a fork was seen").isFalse();
        Process child = new ProcessBuilder("true").start();
        child.waitFor();
        OptionalLong after = ForkCounter.read();
        assertThat(after).isNotEqualTo(before);
        counter.sawFork(before, after);
        assertThat(counter.nothingForked(after, after)).isTrue();
        assertThat(counter.nothingForked(before, after)).isFalse();
        // Read again from the same open file: procfs makes the text afresh at offset 0.
        Process second = new ProcessBuilder("true").start();
        second.waitFor();
        assertThat(ForkCounter.read()).isNotEqualTo(after);
    }

    private static OptionalLong lastPid(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return ForkCounter.lastPid(bytes, bytes.length);
    }
}
