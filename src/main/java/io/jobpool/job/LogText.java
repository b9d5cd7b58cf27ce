package io.jobpool.job;

/**
 * Text that clients or task code chose (an exception's message, say), made fit for one log line.
 * Written raw, a newline in a {@code fail} task's argument started a line of the client's making
 * in the server's log (a forged ERROR entry, CWE-117), and ANSI escapes or NUL bytes reached the
 * operator's terminal and {@code grep}. Control characters are escaped as in JSON; the line
 * separators Unicode adds, and the marks that reorder text, are too. Long text is cut: the job's
 * record keeps all of it.
 */
public final class LogText {

    /** The most characters of one such text a log line carries. */
    static final int MAX_CHARS = 500;

    private LogText() {
    }

    public static String of(String text) {
        if (text == null) {
            return "null";
        }
        int length = Math.min(text.length(), MAX_CHARS);
        StringBuilder line = null;
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            String escaped = escape(c);
            if (escaped != null && line == null) {
                line = new StringBuilder(length + 16).append(text, 0, i);
            }
            if (line != null) {
                if (escaped != null) {
                    line.append(escaped);
                } else {
                    line.append(c);
                }
            }
        }
        String kept = line != null ? line.toString() : text.substring(0, length);
        return text.length() > MAX_CHARS ? kept + "... (" + text.length() + " characters)" : kept;
    }

    private static String escape(char c) {
        return switch (c) {
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            case '\\' -> null;
            default -> Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || (c >= '\u202a' && c <= '\u202e')
                    || (c >= '\u2066' && c <= '\u2069') ? String.format("\\u%04x", (int) c) : null;
        };
    }
}
