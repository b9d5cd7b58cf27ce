package io.jobpool.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogTextTest {

    @Test
    void plainTextIsLoggedAsItIs() {
        assertThat(LogText.of("division by zero: 1/0 in C:\\tmp")).isEqualTo("division by zero: 1/0 in C:\\tmp");
    }

    @Test
    void lineBreaksAndControlCharactersAreEscapedOntoOneLine() {
        assertThat(LogText.of("a\nb\r\nc\td\u001b[31me\u0000f\u007f")).isEqualTo("a\\nb\\r\\nc\\td\\u001b[31me\\u0000f\\u007f");
    }

    @Test
    void unicodeLineSeparatorsAndMarksThatReorderTextAreEscaped() {
        assertThat(LogText.of("a\u2028b\u2029c\u202ed\u2066e")).isEqualTo("a\\u2028b\\u2029c\\u202ed\\u2066e");
        assertThat(LogText.of("crème brûlée ✓")).isEqualTo("crème brûlée ✓");
    }

    @Test
    void longTextIsCutAndSaysHowLongItWas() {
        String logged = LogText.of("x".repeat(10_000));
        assertThat(logged).startsWith("x".repeat(LogText.MAX_CHARS) + "...").endsWith("(10000 characters)");
        assertThat(LogText.of("\n".repeat(600))).startsWith("\\n".repeat(LogText.MAX_CHARS) + "...");
    }

    @Test
    void noTextIsSaidSo() {
        assertThat(LogText.of(null)).isEqualTo("null");
    }
}
