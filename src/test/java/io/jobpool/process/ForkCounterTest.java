package io.jobpool.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Tests for {@link ForkCounter}: reading the kernel's fork count, and when a reading is trusted. */
class ForkCounterTest {

    @Test
    void readsTheProcessesLineWhereverItIs() throws IOException {
        assertThat(ForkCounter.processes(stat("cpu  1 2 3\nctxt 99\nprocesses 510548\nprocs_running 2\n")))
                .isEqualTo(OptionalLong.of(510548));
        // Past the first buffer, with a long interrupts line before it as on a many-core machine.
        String big = "cpu  1 2 3\nintr " + "12345 ".repeat(5000) + "\nprocesses 77\n";
        assertThat(ForkCounter.processes(stat(big))).isEqualTo(OptionalLong.of(77));
        // Delivered in small reads, as a pipe or procfs may.
        assertThat(ForkCounter.processes(trickle("cpu 0\nprocesses 4242\n"))).isEqualTo(OptionalLong.of(4242));
    }

    @Test
    void withoutAProcessesLineThereIsNoCount() throws IOException {
        assertThat(ForkCounter.processes(stat("cpu  1 2 3\nprocs_running 2\n"))).isEmpty();
        assertThat(ForkCounter.processes(stat("cpu 1\nprocesses x\n"))).isEmpty();
        assertThat(ForkCounter.processes(stat(""))).isEmpty();
    }

    @Test
    void theLiveCountMovesAcrossAForkAndIsTrustedOnlyThen() throws Exception {
        OptionalLong before = ForkCounter.read();
        if (before.isEmpty()) {
            assertThat(System.getProperty("os.name")).as("only Linux has /proc/stat").doesNotContain("Linux");
            return;
        }
        ForkCounter counter = new ForkCounter();
        assertThat(counter.nothingForked(before, before)).as("not trusted before a fork was seen").isFalse();
        Process child = new ProcessBuilder("true").start();
        child.waitFor();
        OptionalLong after = ForkCounter.read();
        assertThat(after.getAsLong()).isGreaterThan(before.getAsLong());
        counter.sawFork(before, after);
        assertThat(counter.nothingForked(after, after)).isTrue();
        assertThat(counter.nothingForked(before, after)).isFalse();
    }

    private static InputStream stat(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static InputStream trickle(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 3));
            }
        };
    }
}
