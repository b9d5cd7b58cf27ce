package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import io.jobpool.testing.OsProcesses;
import io.jobpool.testing.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tests, on the built jar as a real server process, that the server's own exit takes every worker
 * and every process a task started along: on SIGTERM (the pool stops them) and on kill -9 (each
 * worker sees its stdin close and kills its own process tree).
 */
class ProcessTreeIT {

    private final Path data = Path.of("target", "it-data", "process-tree-" + System.nanoTime());
    private final Map<String, String> environment = Map.of("JOBPOOL_POOL_SIZE", "1", "JOBPOOL_TASKS_DIAGNOSTICS", "true",
            "JOBPOOL_SHUTDOWN_GRACE", "1s", "JOBPOOL_POOL_KILL_GRACE", "1s");
    private final String seconds = OsProcesses.uniqueSeconds();

    @AfterEach
    void leaveNothingBehind() {
        OsProcesses.killSleeping(seconds);
    }

    @Test
    void killMinus9OfTheServerLeavesNoWorkerAndNoTaskChildRunning() throws Exception {
        killMinus9LeavesNothing(environment, "{\"task\":\"spawn\",\"args\":[" + seconds + "]}", ServerProcess::workerPids);
    }

    /** A Python worker, too, kills what its task started when the server is gone (it only exited before). */
    @Test
    void killMinus9OfTheServerLeavesNoPythonWorkerAndNoTaskChildRunning() throws Exception {
        Map<String, String> withPython = new java.util.HashMap<>(environment);
        withPython.put("JOBPOOL_PYTHON_TASKS_DIR", Path.of("src", "test", "resources", "python-tasks").toAbsolutePath().toString());
        withPython.put("JOBPOOL_PYTHON_POOL_SIZE", "1");
        killMinus9LeavesNothing(withPython, "{\"task\":\"py_spawn_and_hang\",\"args\":[\"" + seconds + "\"]}",
                ServerProcess::pythonWorkerPids);
    }

    /** Runs {@code job} (a task that starts {@code sleep <seconds>} and hangs), kills the server with -9, and checks its tree is gone. */
    private void killMinus9LeavesNothing(Map<String, String> env, String job,
            java.util.function.Function<ServerProcess, List<Long>> workersOf) throws Exception {
        List<Long> workers;
        ProcessHandle child;
        try (ServerProcess server = ServerProcess.start(data, env)) {
            start(server, job);
            child = OsProcesses.awaitOneSleeping(seconds, Duration.ofSeconds(30));
            workers = workersOf.apply(server);
            assertThat(workers).isNotEmpty();
            server.killHard();
        }
        // The worker's own grace for its processes is 1 s; allow the rest for a loaded machine.
        for (long pid : workers) {
            OsProcesses.awaitGone(pid, Duration.ofSeconds(10));
        }
        OsProcesses.awaitGone(child.pid(), Duration.ofSeconds(10));
        assertThat(OsProcesses.sleeping(seconds)).isEmpty();
    }

    /**
     * Server and workers killed with -9 together: no one is left to kill the task's child, which
     * outlives them (reparented to init). The next start on the same data directory finds it by
     * the marker of the run that is gone and kills it.
     */
    @Test
    void aTaskChildThatOutlivedTheServerAndItsWorkersIsKilledByTheNextStart() throws Exception {
        ProcessHandle child;
        try (ServerProcess server = ServerProcess.start(data, environment)) {
            start(server, "{\"task\":\"spawn\",\"args\":[" + seconds + "]}");
            child = OsProcesses.awaitOneSleeping(seconds, Duration.ofSeconds(30));
            List<Long> workers = server.workerPids();
            // Frozen first, so neither the server (seeing a worker die) nor a worker (seeing the
            // server go) gets to kill the tree; then all of them at once.
            for (long pid : workers) {
                assertThat(new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor()).isZero();
            }
            server.killHard();
            for (long pid : workers) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                OsProcesses.awaitGone(pid, Duration.ofSeconds(10));
            }
        }
        assertThat(child.isAlive()).as("the task's child outlived its server and workers").isTrue();
        try (ServerProcess again = ServerProcess.start(data, environment)) {
            OsProcesses.awaitGone(child.pid(), Duration.ofSeconds(10));
            assertThat(again.log()).contains("that workers of an earlier run of this server started and that outlived it");
        }
    }

    @Test
    void sigtermOfTheServerKillsARunningTaskAndItsChild() throws Exception {
        List<Long> workers;
        ProcessHandle child;
        try (ServerProcess server = ServerProcess.start(data, environment)) {
            start(server, "{\"task\":\"spawn\",\"args\":[" + seconds + "]}");
            child = OsProcesses.awaitOneSleeping(seconds, Duration.ofSeconds(30));
            workers = server.workerPids();
            assertThat(server.terminate(Duration.ofSeconds(60))).isIn(0, 143);
        }
        // The server waits for its pool, and the pool for the tree: gone within the kill grace plus a second.
        for (long pid : workers) {
            OsProcesses.awaitGone(pid, Duration.ofSeconds(2));
        }
        OsProcesses.awaitGone(child.pid(), Duration.ofSeconds(2));
    }

    private static void start(ServerProcess server, String job) {
        ApiClient api = new ApiClient(server.port());
        String id = api.submit(job).get("id").asString();
        Await.until("the job running", Duration.ofSeconds(30),
                () -> api.get("/v1/jobs/" + id).json().get("status").asString().equals("RUNNING"));
    }
}
