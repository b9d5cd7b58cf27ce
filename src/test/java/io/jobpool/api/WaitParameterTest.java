package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jobpool.job.JobException;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Tests for {@link WaitParameter}. */
class WaitParameterTest {

    private static final Duration MAX = Duration.ofMillis(1500);

    @ParameterizedTest
    @CsvSource({"0, 0", "1.5, 1500000000", "1.2, 1200000000", "1e-9, 1", ".25, 250000000", "1., 1000000000", "+1, 1000000000",
            "15E-1, 1500000000"})
    void decimalSecondsUpToAFractionalMaximumAreRead(String value, long nanos) {
        assertThat(WaitParameter.of("wait", value, MAX)).isEqualTo(Duration.ofNanos(nanos));
    }

    /** Below half a nanosecond is no wait, answered at once: rounded, 1e-10000000 cost seconds of CPU. */
    @ParameterizedTest
    @ValueSource(strings = {"1e-10000000", "1e-2147483647", "4.9e-10", "0.0000000000000000000000000001"})
    void waitsTooShortToCountAreNoWait(String value) {
        assertThat(WaitParameter.of("wait", value, MAX)).isZero();
    }

    /** The pattern's shape with an exponent no decimal holds: refused as unreadable, not a 500. */
    @ParameterizedTest
    @ValueSource(strings = {"1e2147483649", "1e-2147483649", "1e99999999999"})
    void exponentsOutOfRangeAreRefused(String value) {
        assertThatThrownBy(() -> WaitParameter.of("wait", value, MAX)).isInstanceOf(JobException.class)
                .hasMessageContaining("cannot be read from '" + value + "': its exponent is out of range");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.6", "-1", "-0.001", "1e400", "2"})
    void outOfRangeNamesTheExactMaximum(String value) {
        assertThatThrownBy(() -> WaitParameter.of("timeout", value, MAX)).isInstanceOf(JobException.class)
                .hasMessageContaining("timeout").hasMessageContaining("must be between 0 and 1.5 seconds");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1d", "1f", "2D", "0x1p1", "0x10", " 1", "1 ", "1_0", "NaN", "Infinity", "", "1e", "."})
    void onlyDecimalNumbersAreRead(String value) {
        assertThatThrownBy(() -> WaitParameter.of("wait", value, MAX)).isInstanceOf(JobException.class)
                .hasMessageContaining("cannot be read from '" + value + "'");
    }

    /** Refused by its length, before the pattern looks at it (15,000 digits and a letter took seconds of CPU). */
    @org.junit.jupiter.api.Test
    void aValueLongerThanAnyWaitIsRefusedByItsLength() {
        assertThatThrownBy(() -> WaitParameter.of("wait", "1".repeat(15_000) + "x", MAX)).isInstanceOf(JobException.class)
                .hasMessageContaining("is 15001 characters long; seconds as a decimal number take at most 64");
        assertThat(WaitParameter.of("wait", "0." + "0".repeat(61) + "1", MAX)).as("64 characters").isZero();
    }

    @ParameterizedTest
    @CsvSource({"PT5M, 300", "PT0.5S, 0.5"})
    void theMaximumIsShownAsConfigured(Duration max, String shown) {
        assertThatThrownBy(() -> WaitParameter.of("wait", "1000", max)).hasMessageContaining("between 0 and " + shown + " seconds");
    }
}
