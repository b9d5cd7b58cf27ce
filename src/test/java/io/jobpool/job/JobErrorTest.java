package io.jobpool.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** An error's text comes from task code: it is bounded like results and logs. */
class JobErrorTest {

    @Test
    void aHugeMessageAndTraceAreCutAndSaySo() {
        JobError error = new JobError("ValueError", "z".repeat(5_000_000), "t".repeat(JobError.MAX_CHARS + 1));
        assertThat(error.message()).startsWith("z".repeat(JobError.MAX_CHARS))
                .endsWith("z\n[jobpool: cut at 65536 characters of 5000000]").hasSize(JobError.MAX_CHARS + 46);
        assertThat(error.trace()).endsWith("[jobpool: cut at 65536 characters of 65537]");
        assertThat(error.type()).isEqualTo("ValueError");
    }

    @Test
    void ordinaryErrorsAreKeptAsTheyAre() {
        String trace = "t".repeat(JobError.MAX_CHARS);
        assertThat(new JobError("E", "m", trace)).isEqualTo(new JobError("E", "m", trace));
        assertThat(new JobError("E", null, null).message()).isNull();
    }
}
