package io.jobpool.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition with a deadline: tests wait on what they expect, never on a fixed sleep. */
public final class Await {

    private Await() {}

    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting until " + what);
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(20); // polling interval of the condition, not a stand-in for it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting until " + what);
            }
        }
    }

    /** Polls {@code value} until {@code accept} holds for it and returns that value. */
    public static <T> T until(String what, Duration timeout, Supplier<T> value, java.util.function.Predicate<T> accept) {
        Object[] last = new Object[1];
        until(what, timeout, () -> {
            T current = value.get();
            last[0] = current;
            return accept.test(current);
        });
        @SuppressWarnings("unchecked")
        T result = (T) last[0];
        return result;
    }
}
