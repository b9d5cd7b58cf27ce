package io.jobpool.api;

import io.jobpool.job.JobException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.IOException;

/**
 * A request whose body is checked to be UTF-8 (RFC 3629) as it is read, the only encoding of JSON
 * between systems (RFC 8259, 8.1). Jackson refuses most broken bytes itself, but it decodes
 * overlong forms ({@code C0 AF} became {@code /}, so a task got another string than the bytes
 * sent, the classic way around a filter), and it guesses UTF-16 and UTF-32 from the first bytes.
 * A NUL byte is refused too: raw, it is never valid JSON, and it is how those encodings show.
 * The first bad byte ends the read with 400 {@code validation}, before any job is made.
 */
final class Utf8Body extends HttpServletRequestWrapper {

    Utf8Body(HttpServletRequest request) {
        super(request);
    }

    @Override
    public ServletInputStream getInputStream() throws IOException {
        Utf8Check check = new Utf8Check();
        return new WatchedInputStream(super.getInputStream()) {
            @Override
            void seen(byte[] buffer, int offset, int n) {
                for (int i = 0; i < n; i++) {
                    check.next(buffer[offset + i] & 0xff);
                }
            }

            @Override
            void ended() {
                check.end();
            }
        };
    }

    /** RFC 3629's table of well-formed sequences, one byte at a time. */
    static final class Utf8Check {
        private long offset = -1;
        /** Continuation bytes still owed by the sequence in progress. */
        private int owed;
        /** The range the next continuation byte must fall in (narrower after E0, ED, F0, F4). */
        private int low = 0x80;
        private int high = 0xBF;

        void next(int b) {
            offset++;
            if (owed > 0) {
                if (b < low || b > high) {
                    throw bad(b, "is not a valid continuation of a multi-byte character (overlong, surrogate or truncated)");
                }
                owed--;
                low = 0x80;
                high = 0xBF;
                return;
            }
            if (b == 0) {
                throw JobException.validation("body", "holds a NUL byte at offset " + offset
                        + ": JSON is sent as UTF-8 (RFC 8259), not UTF-16 or UTF-32, and a NUL in a string is written \\u0000");
            }
            if (b < 0x80) {
                return;
            }
            if (b >= 0xC2 && b <= 0xDF) {
                owed = 1;
            } else if (b >= 0xE0 && b <= 0xEF) {
                owed = 2;
                low = b == 0xE0 ? 0xA0 : 0x80;
                high = b == 0xED ? 0x9F : 0xBF;
            } else if (b >= 0xF0 && b <= 0xF4) {
                owed = 3;
                low = b == 0xF0 ? 0x90 : 0x80;
                high = b == 0xF4 ? 0x8F : 0xBF;
            } else {
                throw bad(b, "cannot start a character (overlong or out of range)");
            }
        }

        void end() {
            if (owed > 0) {
                throw JobException.validation("body", "is not valid UTF-8: it ends inside a multi-byte character");
            }
        }

        private JobException bad(int b, String why) {
            return JobException.validation("body", "is not valid UTF-8: byte 0x" + Integer.toHexString(0x100 | b).substring(1)
                    + " at offset " + offset + " " + why);
        }
    }
}
