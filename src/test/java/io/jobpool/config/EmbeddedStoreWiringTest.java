package io.jobpool.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.store.PlatformThreadTransactions;
import io.jobpool.testing.ServiceTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.support.TransactionTemplate;

/** The service on its defaults runs on the SQLite file in its data directory, as the README says. */
class EmbeddedStoreWiringTest extends ServiceTest {

    @Autowired
    NodeIdentity node;

    @Autowired
    TransactionTemplate transactions;

    @Test
    void theDefaultStoreIsSqliteInTheDataDirectoryWithTransactionsOffVirtualThreads() {
        assertThat(node.embedded()).isTrue();
        assertThat(node.store()).startsWith("jdbc:sqlite:").contains("/test-data/service-").contains("/jobpool.db?journal_mode=WAL");
        assertThat(transactions).isInstanceOf(PlatformThreadTransactions.class);
    }
}
