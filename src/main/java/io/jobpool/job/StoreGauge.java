package io.jobpool.job;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gauge read from the store that never holds a Prometheus scrape longer than {@link #WAIT}.
 *
 * <p>While the database is out of reach a read waits out the connection pool's timeout (5 s); the
 * scrape read such gauges one after another, took 15 s, passed its own timeout (10 s in the Helm
 * chart), and every metric was lost just when an operator needed them. Each read now runs on a
 * thread of its own; a scrape waits {@link #WAIT} for it and otherwise answers the last value
 * read, and a read that failed makes the gauge NaN (no value) until one succeeds. A read still
 * under way is shared by the scrapes that come meanwhile, so an outage never piles reads up.
 */
public final class StoreGauge implements DoubleSupplier {

    static final long WAIT_MILLIS = 500;

    private static final Logger log = LoggerFactory.getLogger(StoreGauge.class);

    /** Platform threads: a read of the embedded store is a native call, which would pin a virtual thread's carrier. */
    private static final ExecutorService READERS = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("jobpool-gauge-reader-", 1).factory());

    private final LongSupplier read;
    private final OncePerOutage failures;
    private CompletableFuture<Double> reading;
    private volatile double last = Double.NaN;

    /** @param what the gauge, for the log line of a failed read */
    public StoreGauge(String what, LongSupplier read) {
        this.read = read;
        this.failures = new OncePerOutage(log, "Could not read " + what + " for its gauge ({}); it reads NaN until the store answers");
    }

    @Override
    public double getAsDouble() {
        CompletableFuture<Double> current;
        synchronized (this) {
            if (reading == null) {
                reading = CompletableFuture.supplyAsync(this::readOnce, READERS);
            }
            current = reading;
        }
        try {
            return current.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException slow) {
            return last;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return last;
        } catch (ExecutionException e) {
            return Double.NaN;
        }
    }

    private double readOnce() {
        try {
            double value = read.getAsLong();
            failures.succeeded();
            last = value;
            return value;
        } catch (RuntimeException e) {
            failures.failed(e);
            last = Double.NaN;
            return Double.NaN;
        } finally {
            synchronized (this) {
                reading = null;
            }
        }
    }
}
