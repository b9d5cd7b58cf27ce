package io.jobpool.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tests what readiness reads from a pool's snapshot: whether it keeps a worker alive. */
class PoolSnapshotTest {

    private static final PoolSnapshot.WorkerInfo STARTING = new PoolSnapshot.WorkerInfo("w2", 2L, WorkerState.STARTING, null, 0, Instant.EPOCH);
    private static final PoolSnapshot.WorkerInfo STOPPING = new PoolSnapshot.WorkerInfo("w1", 1L, WorkerState.STOPPING, "j", 3, Instant.EPOCH);
    private static final PoolSnapshot.WorkerInfo IDLE = new PoolSnapshot.WorkerInfo("w3", 3L, WorkerState.IDLE, null, 0, Instant.EPOCH);

    private static PoolSnapshot pool(List<PoolSnapshot.WorkerInfo> workers, String bootError, boolean everReady) {
        return new PoolSnapshot(1, true, workers, bootError, List.of(), everReady, null);
    }

    @Test
    void aPoolReplacingAWorkerItEndedStillKeepsWorkersAlive() {
        // A cancel or timeout on a pool of one: the killed worker stopping, its replacement booting.
        assertThat(pool(List.of(STOPPING, STARTING), null, true).keepsWorkersAlive()).isTrue();
        assertThat(pool(List.of(STARTING), null, true).keepsWorkersAlive()).isTrue();
        assertThat(pool(List.of(IDLE), null, true).keepsWorkersAlive()).isTrue();
    }

    /** After a boot failure, a replacement that hangs is told first: the old traceback alone read as the state of now. */
    @Test
    void aWorkerStillBootingIsToldBeforeTheLastBootFailure() {
        String slow = "worker w2 (pid 2) not ready yet after 12 s: still booting; it is killed if not ready within 60 s";
        String failed = "worker exited with code 0 before it was ready: SystemExit: 0";
        assertThat(new PoolSnapshot(1, true, List.of(STARTING), failed, List.of(), true, slow).bootStatus())
                .isEqualTo(slow + "; the boot before it failed: " + failed);
        assertThat(new PoolSnapshot(1, true, List.of(STARTING), null, List.of(), true, slow).bootStatus()).isEqualTo(slow);
        assertThat(pool(List.of(STARTING), failed, true).bootStatus()).isEqualTo(failed);
    }

    @Test
    void aPoolWhoseWorkersNeverBootedOrFailToBootDoesNot() {
        assertThat(pool(List.of(STARTING), null, false).keepsWorkersAlive()).as("first boot under way").isFalse();
        assertThat(pool(List.of(STARTING), "worker exited with code 1 before it was ready", true).keepsWorkersAlive())
                .as("boots failing").isFalse();
        assertThat(pool(List.of(STOPPING), null, true).keepsWorkersAlive()).as("nothing booting").isFalse();
        assertThat(pool(List.of(), null, true).keepsWorkersAlive()).isFalse();
    }
}
