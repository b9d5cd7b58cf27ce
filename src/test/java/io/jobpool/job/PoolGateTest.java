package io.jobpool.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.store.JdbcJobStore;
import io.jobpool.store.LocalBroadcast;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/** Tests for {@link PoolGate}: a replica's copy of the pool state follows what any replica stored. */
class PoolGateTest {

    /** A broadcast whose connection can be "lost", as a dropped LISTEN session is. */
    private static final class Broadcasts extends LocalBroadcast {
        void messagesLost() {
            resync();
        }
    }

    private final Broadcasts broadcast = new Broadcasts();
    private JobStore store;

    @BeforeEach
    void store() {
        JdbcDataSource dataSource = new JdbcDataSource();
        dataSource.setURL("jdbc:h2:mem:gate-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration/h2").load().migrate();
        store = new JdbcJobStore(JdbcClient.create(dataSource), new TransactionTemplate(new DataSourceTransactionManager(dataSource)),
                List.of(), broadcast, true);
    }

    @Test
    void aStateChangeAnnouncedByAnotherReplicaIsSeenAtOnce() {
        PoolGate gate = new PoolGate(store, broadcast, Duration.ofHours(1));
        assertThat(gate.accepting()).isTrue();
        store.setAccepting(false, "another-node", Instant.now());
        assertThat(gate.accepting()).as("not announced yet: the copy is kept").isTrue();
        broadcast.publish(Broadcast.Topic.POOL_STATE, "");
        assertThat(gate.accepting()).isFalse();
        assertThat(gate.state().changedBy()).isEqualTo("another-node");
    }

    /** An open is seen before its announcement arrives: a refusal reads the store itself. */
    @Test
    void anOpenCountsAtOnceOnEveryReplica() {
        PoolGate gate = new PoolGate(store, broadcast, Duration.ofHours(1));
        store.setAccepting(false, "another-node", Instant.now());
        broadcast.publish(Broadcast.Topic.POOL_STATE, "");
        assertThat(gate.accepting()).isFalse();
        store.setAccepting(true, "another-node", Instant.now());
        assertThat(gate.accepting()).as("not announced yet, and still not refused").isTrue();
    }

    @Test
    void aLostAnnouncementIsCaughtUpByAResyncOrTheMaximumAge() {
        PoolGate gate = new PoolGate(store, broadcast, Duration.ZERO);
        assertThat(gate.accepting()).isTrue();
        store.setAccepting(false, "another-node", Instant.now());
        assertThat(gate.accepting()).as("a copy older than the maximum age is read again").isFalse();

        PoolGate trusting = new PoolGate(store, broadcast, Duration.ofHours(1));
        store.setAccepting(true, "another-node", Instant.now());
        assertThat(trusting.accepting()).isTrue();
        store.setAccepting(false, "another-node", Instant.now());
        broadcast.messagesLost();
        assertThat(trusting.accepting()).isFalse();
    }
}
