package io.jobpool.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Tests for {@link JobLog}: a job's output is kept up to a bound in UTF-8 bytes, then cut off with a note. */
class JobLogTest {

    @Test
    void outputWithinTheBoundIsKeptWhole() {
        JobLog log = new JobLog(20);
        log.append("hello\n");
        log.append("world\n");
        assertThat(log.toString()).isEqualTo("hello\nworld\n");
    }

    @Test
    void theBoundCountsBytesNotCharacters() {
        JobLog log = new JobLog(1000);
        log.append("é".repeat(1500));
        String kept = log.toString();
        String output = kept.substring(0, kept.indexOf('\n'));
        assertThat(output.getBytes(StandardCharsets.UTF_8)).hasSize(1000);
        assertThat(kept).endsWith("\n[jobpool: log cut at 1000 bytes]\n");
        log.append("more");
        assertThat(log.toString()).as("nothing after the cut").isEqualTo(kept);
    }

    @Test
    void aCharacterOutsideTheBasicPlaneIsKeptOrCutWhole() {
        JobLog log = new JobLog(6);
        log.append("ab\uD83D\uDE00\uD83D\uDE00");
        assertThat(log.toString()).startsWith("ab\uD83D\uDE00\n[jobpool: log cut");
    }

    @Test
    void aNulCountsAsTheReplacementCharacterTheStoreKeeps() {
        JobLog log = new JobLog(30);
        log.append("\0".repeat(20));
        assertThat(log.toString()).isEqualTo("\uFFFD".repeat(10) + "\n[jobpool: log cut at 30 bytes]\n");
    }
}
