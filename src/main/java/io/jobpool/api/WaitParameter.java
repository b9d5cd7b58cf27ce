package io.jobpool.api;

import io.jobpool.job.JobException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * A {@code wait} or {@code timeout} query parameter: seconds as a decimal number, from 0 to
 * {@code jobpool.jobs.max-wait}. Read here rather than bound as a {@code Double}, whose parser also
 * takes Java's {@code 1d}, {@code 0x1p1} and surrounding spaces, which openapi's {@code number} is not.
 */
final class WaitParameter {

    /** Half a nanosecond: anything below rounds to no wait at all. */
    private static final BigDecimal HALF_NANO = new BigDecimal("5E-10");

    /**
     * Possessive throughout: with backtracking ({@code \\d+\\.?\\d*}), 15,000 digits and a
     * stray letter took two seconds of CPU to refuse.
     */
    private static final Pattern DECIMAL = Pattern.compile("[+-]?+(\\d++(\\.\\d*+)?+|\\.\\d++)([eE][+-]?+\\d++)?+");

    /** Longer than any wait a client means: refused before it is looked at. */
    private static final int MAX_LENGTH = 64;

    private WaitParameter() {}

    /** The wait asked for, {@link Duration#ZERO} when the parameter is absent. */
    static Duration of(String name, String value, Duration max) {
        if (value == null) {
            return Duration.ZERO;
        }
        if (value.length() > MAX_LENGTH) {
            throw JobException.validation(name, "is " + value.length() + " characters long; seconds as a decimal number take at most "
                    + MAX_LENGTH);
        }
        if (!DECIMAL.matcher(value).matches()) {
            throw JobException.validation(name, "cannot be read from '" + value + "': seconds as a decimal number");
        }
        BigDecimal seconds;
        try {
            seconds = new BigDecimal(value);
        } catch (NumberFormatException exponentOutOfRange) {
            // 1e2147483649: the pattern's shape, but an exponent no decimal holds.
            throw JobException.validation(name, "cannot be read from '" + value + "': its exponent is out of range");
        }
        // Compared exactly: a max-wait of 1500ms allows 1.5, and says so.
        BigDecimal limit = BigDecimal.valueOf(max.toMillis(), 3);
        if (seconds.signum() < 0 || seconds.compareTo(limit) > 0) {
            throw JobException.validation(name, "must be between 0 and " + limit.stripTrailingZeros().toPlainString() + " seconds (jobpool.jobs.max-wait)");
        }
        if (seconds.compareTo(HALF_NANO) < 0) {
            // Compared by magnitude first, at once; rounded, 1e-10000000 made a number of ten
            // million digits and took seconds of CPU.
            return Duration.ZERO;
        }
        return Duration.ofNanos(seconds.movePointRight(9).setScale(0, java.math.RoundingMode.HALF_UP).longValueExact());
    }
}
