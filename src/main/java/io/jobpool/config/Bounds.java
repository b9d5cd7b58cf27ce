package io.jobpool.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.util.unit.DataSize;

/**
 * The range each {@code jobpool.*} setting must be in, checked as the settings are bound: a value
 * out of range stops the start with every offending key named ("APPLICATION FAILED TO START"),
 * instead of a service that starts and then refuses every request (a negative payload bound), fails
 * every job (a zero timeout) or never becomes ready (no workers).
 */
final class Bounds {

    private static final tools.jackson.databind.json.JsonMapper JSON = tools.jackson.databind.json.JsonMapper.builder().build();

    private final List<String> problems = new ArrayList<>();

    Bounds atLeast(String key, long value, long min) {
        if (value < min) {
            problems.add(key + " is " + value + "; it must be at least " + min);
        }
        return this;
    }

    Bounds between(String key, long value, long min, long max) {
        if (value < min || value > max) {
            problems.add(key + " is " + value + "; it must be " + min + " to " + max);
        }
        return this;
    }

    /** A count that may be unset (its default applies), else at least {@code min}. */
    Bounds atLeast(String key, Integer value, long min) {
        return value == null ? this : atLeast(key, value.longValue(), min);
    }

    Bounds positive(String key, Duration value) {
        if (value != null && (value.isNegative() || value.isZero())) {
            problems.add(key + " is " + value.toMillis() + "ms; it must be above 0");
        }
        return this;
    }

    Bounds atLeast(String key, Duration value, Duration min) {
        if (value != null && value.compareTo(min) < 0) {
            problems.add(key + " is " + value.toMillis() + "ms; it must be at least " + min.toMillis() + "ms");
        }
        return this;
    }

    Bounds notNegative(String key, Duration value) {
        if (value != null && value.isNegative()) {
            problems.add(key + " is " + value.toMillis() + "ms; it must not be negative");
        }
        return this;
    }

    /** A size that may be unset (off), else at least {@code min}. */
    Bounds atLeast(String key, DataSize value, DataSize min) {
        if (value != null && value.compareTo(min) < 0) {
            problems.add(key + " is " + value.toBytes() + "B; it must be at least " + min.toBytes() + "B");
        }
        return this;
    }

    /** The settings every pool has, under {@code prefix} ({@code jobpool.pool}, {@code jobpool.python.pool}). */
    Bounds workers(String prefix, int prefetch, int maxTasksPerWorker, int maxTasksPerWorkerJitter, DataSize maxWorkerRss,
            Duration killGrace, Duration bootBackoffMax) {
        return atLeast(prefix + ".prefetch", prefetch, 0).atLeast(prefix + ".max-tasks-per-worker", maxTasksPerWorker, 0)
                .atLeast(prefix + ".max-tasks-per-worker-jitter", maxTasksPerWorkerJitter, 0)
                .atLeast(prefix + ".max-worker-rss", maxWorkerRss, DataSize.ofBytes(1))
                // Below the first back-off (0.5 s) a pool whose workers cannot boot respawned them
                // in a hot loop, an ERROR line each time: what the back-off is there to prevent.
                .notNegative(prefix + ".kill-grace", killGrace).atLeast(prefix + ".boot-backoff-max", bootBackoffMax, Duration.ofMillis(500));
    }

    /**
     * Variables passed through to workers: never the server's own configuration ({@code JOBPOOL_*},
     * {@code SPRING_*}), where the API keys, the webhook secret and the database password live.
     */
    Bounds workerEnv(String key, List<String> names) {
        for (String name : names) {
            String upper = name.toUpperCase(java.util.Locale.ROOT);
            if (upper.startsWith("JOBPOOL_") || upper.startsWith("SPRING_")) {
                problems.add(key + " names " + name + ", a variable of the server's own configuration (JOBPOOL_*, SPRING_*: API"
                        + " keys, the webhook secret and the database password live there), which workers never get; give the"
                        + " task what it needs under a name of its own");
            }
        }
        return this;
    }

    /** JSON text that must be an array (a task's arguments); {@code null} is unset. */
    Bounds jsonArray(String key, String value) {
        if (value == null) {
            return this;
        }
        try {
            if (!JSON.readTree(value).isArray()) {
                problems.add(key + " is " + abbreviate(value) + "; it must be a JSON array of arguments, such as [\"warm\", 3]");
            }
        } catch (tools.jackson.core.JacksonException e) {
            problems.add(key + " is " + abbreviate(value) + "; it is not JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
        return this;
    }

    private static String abbreviate(String value) {
        return value.length() <= 80 ? value : value.substring(0, 77) + "...";
    }

    /** Problems found by a check of its own (a list whose entries depend on each other). */
    Bounds all(List<String> found) {
        problems.addAll(found);
        return this;
    }

    void check() {
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }
}
