package io.jobpool.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;

/** A gauge read from the store answers a scrape at once whatever the store does. */
class StoreGaugeTest {

    @Test
    void aReadTheStoreHoldsUpAnswersTheLastValueAndIsSharedByTheScrapesMeanwhile() throws Exception {
        CountDownLatch storeAnswers = new CountDownLatch(0);
        AtomicInteger reads = new AtomicInteger();
        CountDownLatch[] gate = {storeAnswers};
        StoreGauge gauge = new StoreGauge("a test count", () -> {
            reads.incrementAndGet();
            try {
                gate[0].await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return 7;
        });
        io.jobpool.testing.Await.until("a first value", java.time.Duration.ofSeconds(10), () -> gauge.getAsDouble() == 7.0);

        gate[0] = new CountDownLatch(1);
        int before = reads.get();
        assertThat(gauge.getAsDouble()).as("the store holds the read: the last value").isEqualTo(7.0);
        assertThat(gauge.getAsDouble()).as("again, from the same read").isEqualTo(7.0);
        assertThat(reads.get() - before).as("one read under way, not one per scrape").isEqualTo(1);
        gate[0].countDown();
    }

    @Test
    void aFailedReadMakesTheGaugeNaNUntilOneSucceeds() {
        AtomicInteger calls = new AtomicInteger();
        StoreGauge gauge = new StoreGauge("a test count", () -> {
            if (calls.incrementAndGet() == 1) {
                throw new DataAccessResourceFailureException("the store is out of reach");
            }
            return 3;
        });
        assertThat(gauge.getAsDouble()).isNaN();
        io.jobpool.testing.Await.until("a value once the store answers", java.time.Duration.ofSeconds(10),
                () -> gauge.getAsDouble() == 3.0);
    }
}
