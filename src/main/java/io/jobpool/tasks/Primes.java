package io.jobpool.tasks;

import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;
import tools.jackson.databind.JsonNode;

/**
 * Counts the primes below {@code n} by trial division. Deliberately CPU-bound: it is the task for
 * measuring how the pool spreads work over cores, so it must not be clever. Reports its progress
 * every 5 % of the range.
 */
public final class Primes implements Task {

    /** Keeps one job in the range of seconds, not hours. */
    static final long MAX_N = 100_000_000L;

    @Override
    public String name() {
        return "primes";
    }

    @Override
    public String description() {
        return "Counts the primes below n (CPU-bound trial division, n <= 100000000).";
    }

    @Override
    public Object run(TaskArguments arguments, TaskContext context) {
        arguments.onlyParameters("primes", "n");
        JsonNode given = arguments.number(0, "n");
        // canConvertToLong first: 1e300 has no long, and asLong would throw Jackson's exception.
        if (!given.canConvertToLong() || given.asLong() < 0 || given.asLong() > MAX_N) {
            throw new IllegalArgumentException("n must be between 0 and " + MAX_N + ", got " + given);
        }
        long n = given.asLong();
        long count = n > 2 ? 1 : 0;
        long step = Math.max(1, n / 20);
        long nextReport = step;
        for (long candidate = 3; candidate < n; candidate += 2) {
            if (isOddPrime(candidate)) {
                count++;
            }
            if (candidate >= nextReport) {
                context.progress((double) candidate / n, count + " primes so far");
                nextReport += step;
            }
        }
        context.progress(1, count + " primes below " + n);
        return count;
    }

    private static boolean isOddPrime(long candidate) {
        for (long divisor = 3; divisor * divisor <= candidate; divisor += 2) {
            if (candidate % divisor == 0) {
                return false;
            }
        }
        return true;
    }
}
