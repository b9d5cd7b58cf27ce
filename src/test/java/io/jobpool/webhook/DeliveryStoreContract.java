package io.jobpool.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.job.JobIds;
import io.jobpool.store.Migrations;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * The contract the outbox tables pass on every backend; each backend's test only supplies a data
 * source. The same SQL runs on SQLite, H2 and PostgreSQL, so the same tests must pass on each.
 */
abstract class DeliveryStoreContract {

    private final Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    private final JobIds ids = new JobIds(Clock.systemUTC());
    private final RetryPolicy retries = new RetryPolicy(List.of(Duration.ZERO, Duration.ofSeconds(5)));
    private final AtomicInteger wakes = new AtomicInteger();
    private TransactionTemplate transactions;
    private DeliveryStore store;
    private Outbox outbox;

    /** A data source for a database of this backend; it is cleaned before each test. */
    abstract DataSource dataSource();

    abstract String vendor();

    @BeforeEach
    void emptyStore() {
        DataSource dataSource = dataSource();
        Flyway.configure().dataSource(dataSource).locations(Migrations.forVendor(vendor())).cleanDisabled(false).load().clean();
        Flyway.configure().dataSource(dataSource).locations(Migrations.forVendor(vendor())).load().migrate();
        transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        store = new DeliveryStore(JdbcClient.create(dataSource), transactions, !"postgresql".equals(vendor()));
        outbox = new Outbox(store, JsonMapper.builder().build(), retries, ids, wakes::incrementAndGet, Clock.systemUTC());
    }

    private Delivery insert(String subjectId, Instant due) {
        String id = ids.next();
        Delivery delivery = new Delivery(id, "job", subjectId, "job.succeeded", "https://hooks.example.com/" + subjectId, "{\"n\":1}",
                "msg_" + id.replace("-", ""), DeliveryStatus.PENDING, 0, due, null, null, now, now);
        store.insert(delivery);
        return delivery;
    }

    private static DeliveryAttempt attempt(DeliveryStore.Claim claim, Instant at, Integer statusCode, String error) {
        return new DeliveryAttempt(claim.attempt(), at, Duration.ofMillis(12), statusCode, error);
    }

    @Test
    void aDueDeliveryIsClaimedOnceUntilItsLeaseRunsOut() {
        Delivery delivery = insert("j1", now);

        List<DeliveryStore.Claim> first = store.claim(10, now, now.plusSeconds(30));
        List<DeliveryStore.Claim> whileLeased = store.claim(10, now.plusSeconds(29), now.plusSeconds(59));
        List<DeliveryStore.Claim> afterLease = store.claim(10, now.plusSeconds(30), now.plusSeconds(60));

        assertThat(first).singleElement().satisfies(claim -> {
            assertThat(claim.delivery()).isEqualTo(delivery);
            assertThat(claim.attempt()).isEqualTo(1);
        });
        assertThat(whileLeased).isEmpty();
        assertThat(afterLease).singleElement().extracting(DeliveryStore.Claim::attempt).isEqualTo(2);
    }

    @Test
    void aDeliveryIsNotClaimedBeforeItIsDue() {
        insert("j1", now.plusSeconds(5));

        assertThat(store.claim(10, now, now.plusSeconds(30))).isEmpty();
        assertThat(store.claim(10, now.plusSeconds(5), now.plusSeconds(35))).hasSize(1);
    }

    @Test
    void claimsTakeTheOldestDueFirstUpToTheLimit() {
        Delivery later = insert("j1", now.minusSeconds(1));
        Delivery earlier = insert("j2", now.minusSeconds(2));
        insert("j3", now);

        assertThat(store.claim(2, now, now.plusSeconds(30))).extracting(c -> c.delivery().id())
                .containsExactly(earlier.id(), later.id());
    }

    @Test
    void concurrentClaimersNeverGetTheSameDelivery() throws Exception {
        for (int i = 0; i < 40; i++) {
            insert("j" + i, now);
        }
        Callable<List<String>> claimer = () -> {
            List<String> mine = new ArrayList<>();
            List<DeliveryStore.Claim> batch;
            while (!(batch = store.claim(3, now, now.plusSeconds(30))).isEmpty()) {
                batch.forEach(c -> mine.add(c.delivery().id()));
            }
            return mine;
        };
        List<String> all = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<List<String>>> results = pool.invokeAll(List.of(claimer, claimer, claimer, claimer));
            for (Future<List<String>> result : results) {
                all.addAll(result.get());
            }
        }
        Set<String> distinct = new HashSet<>(all);
        assertThat(all).hasSize(40);
        assertThat(distinct).hasSize(40);
    }

    @Test
    void anAttemptIsRecordedWithWhatTheDeliveryBecomes() {
        Delivery delivery = insert("j1", now);
        DeliveryStore.Claim claim = store.claim(1, now, now.plusSeconds(30)).getFirst();

        boolean recorded = store.record(claim, attempt(claim, now, 500, null),
                new RetryPolicy.Verdict(DeliveryStatus.PENDING, now.plusSeconds(5), "HTTP 500"), now.plusMillis(20));

        assertThat(recorded).isTrue();
        DeliveryHistory history = store.forSubject("job", "j1").getFirst();
        assertThat(history.delivery().status()).isEqualTo(DeliveryStatus.PENDING);
        assertThat(history.delivery().attempts()).isEqualTo(1);
        assertThat(history.delivery().nextAttemptAt()).isEqualTo(now.plusSeconds(5));
        assertThat(history.delivery().lastStatusCode()).isEqualTo(500);
        assertThat(history.delivery().lastError()).isEqualTo("HTTP 500");
        assertThat(history.delivery().webhookId()).isEqualTo(delivery.webhookId());
        assertThat(history.attempts()).containsExactly(new DeliveryAttempt(1, now, Duration.ofMillis(12), 500, null));
        assertThat(store.claim(1, now.plusSeconds(4), now.plusSeconds(34))).isEmpty();
        assertThat(store.claim(1, now.plusSeconds(5), now.plusSeconds(35))).hasSize(1);
    }

    @Test
    void aFinalVerdictClearsTheNextAttemptAndKeepsAnErrorWithoutStatus() {
        insert("j1", now);
        DeliveryStore.Claim claim = store.claim(1, now, now.plusSeconds(30)).getFirst();

        store.record(claim, attempt(claim, now, null, "ConnectException"),
                new RetryPolicy.Verdict(DeliveryStatus.FAILED, null, "gave up after 1 attempts; last: ConnectException"), now);

        DeliveryHistory history = store.forSubject("job", "j1").getFirst();
        assertThat(history.delivery().status()).isEqualTo(DeliveryStatus.FAILED);
        assertThat(history.delivery().nextAttemptAt()).isNull();
        assertThat(history.delivery().lastStatusCode()).isNull();
        assertThat(history.attempts().getFirst().statusCode()).isNull();
        assertThat(history.attempts().getFirst().error()).isEqualTo("ConnectException");
        assertThat(store.claim(1, now.plusSeconds(60), now.plusSeconds(90))).isEmpty();
        assertThat(store.countPending()).isZero();
    }

    @Test
    void aClaimWhoseLeaseRanOutAndWasClaimedAgainRecordsNothing() {
        insert("j1", now);
        DeliveryStore.Claim stale = store.claim(1, now, now.plusSeconds(1)).getFirst();
        DeliveryStore.Claim fresh = store.claim(1, now.plusSeconds(2), now.plusSeconds(32)).getFirst();
        RetryPolicy.Verdict delivered = new RetryPolicy.Verdict(DeliveryStatus.DELIVERED, null, null);

        assertThat(store.record(stale, attempt(stale, now, 200, null), delivered, now.plusSeconds(3))).isFalse();
        assertThat(store.record(fresh, attempt(fresh, now.plusSeconds(2), 200, null), delivered, now.plusSeconds(3))).isTrue();
        assertThat(store.record(fresh, attempt(fresh, now.plusSeconds(2), 200, null), delivered, now.plusSeconds(4))).isFalse();
        List<DeliveryAttempt> attempts = store.forSubject("job", "j1").getFirst().attempts();
        assertThat(attempts).extracting(DeliveryAttempt::attempt).containsExactly(1, 2);
        assertThat(attempts.getFirst().at()).as("when its claim began").isEqualTo(now);
        assertThat(attempts.getFirst().statusCode()).isNull();
        assertThat(attempts.getFirst().error()).startsWith("no answer recorded: the replica sending this attempt stopped, or could not reach the store");
    }

    @Test
    void aRequeueMakesAFinalDeliveryDueButLeavesOneBeingSent() {
        Delivery stopped = insert("j1", now);
        DeliveryStore.Claim claim = store.claim(1, now, now.plusSeconds(30)).getFirst();
        store.record(claim, attempt(claim, now, 410, null), new RetryPolicy.Verdict(DeliveryStatus.STOPPED, null, "410"), now);
        Delivery sending = insert("j2", now);
        store.claim(1, now, now.plusSeconds(30));

        assertThat(store.requeue("job", "j1", stopped.id(), now.plusSeconds(1))).isTrue();
        assertThat(store.requeue("job", "j2", sending.id(), now.plusSeconds(1))).isFalse();
        assertThat(store.requeue("job", "another-job", stopped.id(), now.plusSeconds(1))).isFalse();
        DeliveryHistory requeued = store.find("job", "j1", stopped.id()).orElseThrow();
        assertThat(requeued.delivery().status()).isEqualTo(DeliveryStatus.PENDING);
        assertThat(requeued.delivery().nextAttemptAt()).isEqualTo(now.plusSeconds(1));
        assertThat(store.claim(5, now.plusSeconds(1), now.plusSeconds(31))).singleElement()
                .satisfies(c -> assertThat(c.attempt()).isEqualTo(2))
                .extracting(c -> c.delivery().webhookId()).isEqualTo(stopped.webhookId());
    }

    @Test
    void releasingLeasesMakesDeliveriesBeingSentDueAgain() {
        insert("j1", now);
        store.claim(1, now, now.plusSeconds(30));

        assertThat(store.releaseLeases()).isEqualTo(1);
        assertThat(store.claim(1, now, now.plusSeconds(30))).singleElement().satisfies(c -> assertThat(c.attempt()).isEqualTo(2));
        assertThat(store.forSubject("job", "j1").getFirst().attempts()).as("the attempt the stopped run was making")
                .singleElement().satisfies(lost -> assertThat(lost.error()).startsWith("no answer recorded"));
    }

    @Test
    void oldFinalDeliveriesAreDeletedWithTheirAttemptsAndPendingOnesKept() {
        insert("j1", now);
        DeliveryStore.Claim claim = store.claim(1, now, now.plusSeconds(30)).getFirst();
        store.record(claim, attempt(claim, now, 200, null), new RetryPolicy.Verdict(DeliveryStatus.DELIVERED, null, null), now);
        insert("j2", now.plusSeconds(60));

        assertThat(store.deleteFinishedBefore(now, 10)).isZero();
        assertThat(store.deleteFinishedBefore(now.plusMillis(1), 10)).isEqualTo(1);
        assertThat(store.forSubject("job", "j1")).isEmpty();
        assertThat(store.forSubject("job", "j2")).hasSize(1);
        assertThat(store.countPending()).isEqualTo(1);
    }

    @Test
    void theOutboxWritesInTheCallersTransactionAndWakesTheWorkerOnlyAfterCommit() {
        transactions.executeWithoutResult(status -> {
            outbox.enqueue(Outbox.JOB, "rolled-back", "job.failed", "https://hooks.example.com/x", now, new Payload("nope"));
            status.setRollbackOnly();
        });
        assertThat(store.countPending()).isZero();
        assertThat(wakes).hasValue(0);

        transactions.executeWithoutResult(status -> {
            outbox.enqueue(Outbox.JOB, "committed", "job.failed", "https://hooks.example.com/x", now, new Payload("yes"));
            assertThat(wakes).hasValue(0);
        });

        assertThat(wakes).hasValue(1);
        Delivery delivery = store.forSubject("job", "committed").getFirst().delivery();
        assertThat(delivery.status()).isEqualTo(DeliveryStatus.PENDING);
        assertThat(delivery.webhookId()).isEqualTo("msg_" + delivery.id().replace("-", ""));
        assertThat(store.claim(10, now.plusSeconds(60), now.plusSeconds(90))).as("the sender's claim carries the payload; listings do not")
                .singleElement().extracting(claim -> claim.delivery().payload()).isEqualTo("{\"type\":\"job.failed\",\"timestamp\":\"" + now + "\",\"data\":{\"value\":\"yes\"}}");
    }

    record Payload(String value) {}
}
