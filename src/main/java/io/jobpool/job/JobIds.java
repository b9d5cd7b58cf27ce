package io.jobpool.job;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.UUID;

/**
 * UUIDv7 job ids (RFC 9562): time-ordered, so the newest-first job list pages by id alone. Within
 * one millisecond a counter in the random bits keeps ids increasing.
 */
public final class JobIds {

    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private long lastMillis;
    private long sequence;

    public JobIds(Clock clock) {
        this.clock = clock;
    }

    public synchronized String next() {
        long millis = clock.millis();
        if (millis <= lastMillis) {
            millis = lastMillis;
            sequence++;
        } else {
            lastMillis = millis;
            sequence = random.nextInt(1 << 10);
        }
        long high = (millis << 16) | 0x7000L | (sequence & 0x0FFF);
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }
}
