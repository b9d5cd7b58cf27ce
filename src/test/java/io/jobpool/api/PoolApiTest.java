package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import io.jobpool.testing.ServiceTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Tests for {@code /v1/pool}: the workers, live resizing, close and open, and the workers' environment. */
class PoolApiTest extends ServiceTest {

    @org.springframework.beans.factory.annotation.Autowired
    private io.jobpool.job.JobStore store;

    @Test
    void poolListsItsWorkerProcesses() {
        JsonNode pool = Await.until("two live workers ready", Duration.ofSeconds(10), () -> api.get("/v1/pool").json(),
                p -> p.get("workers").size() == 2 && p.get("workers").findValuesAsString("state").stream().noneMatch("STARTING"::equals)
                        && p.get("workers").findValues("pid").stream().allMatch(pid -> ProcessHandle.of(pid.asLong()).isPresent()));
        assertThat(pool.get("size").asInt()).isEqualTo(2);
        assertThat(pool.get("authentication").asString()).isEqualTo("disabled");
        for (JsonNode worker : pool.get("workers")) {
            long pid = worker.get("pid").asLong();
            assertThat(ProcessHandle.of(pid)).isPresent();
            assertThat(ProcessHandle.of(pid).get().parent().map(ProcessHandle::pid)).contains(ProcessHandle.current().pid());
            assertThat(worker.get("rssBytes").asLong()).isPositive();
        }
    }

    @Test
    void resizeGrowsAndShrinksThePoolLive() {
        try {
            assertThat(api.put("/v1/pool", "{\"size\":3}").json().get("size").asInt()).isEqualTo(3);
            Await.until("three workers", Duration.ofSeconds(15), () -> readyWorkers() == 3);
            api.put("/v1/pool", "{\"size\":1}");
            Await.until("one worker", Duration.ofSeconds(15), () -> api.get("/v1/pool").json().get("workers").size() == 1);
            assertThat(api.run("{\"task\":\"square\",\"args\":[3]}", 10).get("result").asInt()).isEqualTo(9);
        } finally {
            api.put("/v1/pool", "{\"size\":2}");
            Await.until("two workers again", Duration.ofSeconds(15), () -> readyWorkers() == 2);
        }
        assertThat(api.raw("PUT", "/v1/pool", "{\"size\":0}", java.util.Map.of("Content-Type", "application/json")).status()).isEqualTo(400);
        ApiClient.Response missing = api.raw("PUT", "/v1/pool", "{}", java.util.Map.of("Content-Type", "application/json"));
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.json().get("detail").asString()).isEqualTo("size: is required");
        // An unknown runtime is named, cut short: a megabyte of it made an answer of two.
        ApiClient.Response unknown = api.raw("PUT", "/v1/pool", "{\"size\":2,\"runtime\":\"" + "r".repeat(20_000) + "\"}",
                java.util.Map.of("Content-Type", "application/json"));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().get("detail").asString()).startsWith("runtime: no pool runs rrrr").contains("r...").hasSizeLessThan(300);
    }

    @Test
    void resizingWhileJobsRunLosesNoJob() {
        Set<Long> before = pids(Await.until("two ready workers", Duration.ofSeconds(30), () -> api.get("/v1/pool").json(),
                p -> readyWorkers(p) == 2));
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            jobs.add(api.submit("{\"task\":\"sleep\",\"args\":[0.4]}").get("id").asString());
        }
        try {
            api.put("/v1/pool", "{\"size\":4}");
            JsonNode grown = Await.until("four ready workers", Duration.ofSeconds(60), () -> api.get("/v1/pool").json(),
                    p -> readyWorkers(p) == 4);
            Set<Long> four = pids(grown);
            assertThat(four).as("growing keeps the workers there were and starts two more").containsAll(before).hasSize(4);

            api.put("/v1/pool", "{\"size\":1}");
            JsonNode shrunk = Await.until("one worker left", Duration.ofSeconds(60), () -> api.get("/v1/pool").json(),
                    p -> p.get("workers").size() == 1);
            assertThat(four).as("shrinking retires workers, it starts none").containsAll(pids(shrunk));
            for (String id : jobs) {
                JsonNode job = api.awaitReady(id, 60);
                assertThat(job.get("status").asString()).as("job %s", id).isEqualTo("SUCCEEDED");
                assertThat(job.get("attempts").asInt()).as("job %s ran once", id).isEqualTo(1);
            }
        } finally {
            api.put("/v1/pool", "{\"size\":2}");
            Await.until("two workers again", Duration.ofSeconds(60), () -> readyWorkers() == 2);
        }
    }

    private static Set<Long> pids(JsonNode pool) {
        return pool.get("workers").findValues("pid").stream().map(JsonNode::asLong).collect(Collectors.toSet());
    }

    @Test
    void closedPoolRefusesNewJobsAndOpenAcceptsThemAgain() {
        try {
            assertThat(api.post("/v1/pool/close", null).json().get("accepting").asBoolean()).isFalse();
            ApiClient.Response refused = api.post("/v1/jobs", "{\"task\":\"echo\"}");
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.json().get("type").asString()).isEqualTo("pool-closed");
        } finally {
            assertThat(api.post("/v1/pool/open", null).json().get("accepting").asBoolean()).isTrue();
        }
        assertThat(api.run("{\"task\":\"echo\"}", 10).get("status").asString()).isEqualTo("SUCCEEDED");
    }

    /** The pool's {@code queued} is counted when asked: the estimate behind the queue's capacity held a job claimed a moment ago. */
    @Test
    void theQueuedCountIsExactOnceAQueuedJobIsClaimed() {
        Await.until("two ready workers", Duration.ofSeconds(30), () -> readyWorkers() == 2);
        // Two blockers that hold both workers until cancelled: the third job stays queued however
        // slow the machine is, and is claimed once the first blocker's place is free.
        String first = api.submit("{\"task\":\"sleep\",\"args\":[60]}").get("id").asString();
        String second = api.submit("{\"task\":\"sleep\",\"args\":[60]}").get("id").asString();
        try {
            Await.until("both blockers running", Duration.ofSeconds(30),
                    () -> "RUNNING".equals(api.get("/v1/jobs/" + first).json().get("status").asString())
                            && "RUNNING".equals(api.get("/v1/jobs/" + second).json().get("status").asString()));
            String waiting = api.submit("{\"task\":\"square\",\"args\":[3]}").get("id").asString();
            assertThat(api.get("/v1/jobs/" + waiting).json().get("status").asString()).as("behind two busy workers").isEqualTo("QUEUED");
            api.post("/v1/jobs/" + first + "/cancel", null);
            Await.until("the queued job claimed", Duration.ofSeconds(30),
                    () -> !api.get("/v1/jobs/" + waiting).json().get("status").asString().equals("QUEUED"));
            assertThat(api.get("/v1/pool").json().get("queued").asLong()).as("queued right after the claim").isZero();
            api.awaitReady(waiting, 30);
        } finally {
            api.post("/v1/jobs/" + first + "/cancel", null);
            api.post("/v1/jobs/" + second + "/cancel", null);
        }
    }

    @Test
    void closeThenJoinAnswersOnceTheQueuedJobsAreDone() {
        java.util.List<String> ids = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                ids.add(api.submit("{\"task\":\"sleep\",\"args\":[0.5]}").get("id").asString());
            }
            api.post("/v1/pool/close", null);
            ApiClient.Response notYet = api.post("/v1/pool/join?timeout=0", null);
            assertThat(notYet.status()).as("three half-second jobs on two workers are not done at once").isEqualTo(202);
            assertThat(notYet.header("Retry-After")).isNotNull();
            ApiClient.Response joined = api.post("/v1/pool/join?timeout=60", null);
            assertThat(joined.status()).isEqualTo(200);
            assertThat(joined.json().get("queued").asLong()).isZero();
            assertThat(joined.json().get("running").asLong()).isZero();
            for (String id : ids) {
                assertThat(api.get("/v1/jobs/" + id).json().get("status").asString()).as("job %s when join answered", id)
                        .isEqualTo("SUCCEEDED");
            }
        } finally {
            api.post("/v1/pool/open", null);
        }
        assertThat(api.raw("POST", "/v1/pool/join?timeout=-1", null, java.util.Map.of()).status()).isEqualTo(400);
    }

    @Test
    void terminateKillsRunningWorkersAndCancelsEveryUnfinishedJob() {
        try {
            java.util.List<String> ids = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ids.add(api.submit("{\"task\":\"sleep\",\"args\":[60]}").get("id").asString());
            }
            java.util.List<Long> pids = Await.until("two sleeps running on their workers", Duration.ofSeconds(20),
                    () -> ids.stream().map(id -> api.get("/v1/jobs/" + id).json().get("worker"))
                            .filter(w -> w != null && !w.isNull() && !w.get("pid").isNull())
                            .map(w -> w.get("pid").asLong()).toList(),
                    found -> found.size() == 2);
            String batch = api.post("/v1/batches", "{\"task\":\"sleep\",\"items\":[60,60],\"chunksize\":1}").json()
                    .get("id").asString();
            JsonNode terminated = api.post("/v1/pool/terminate", null).json();
            assertThat(terminated.get("accepting").asBoolean()).isFalse();
            for (String id : ids) {
                JsonNode job = api.get("/v1/jobs/" + id).json();
                assertThat(job.get("status").asString()).isEqualTo("CANCELLED");
                assertThat(job.get("error").get("type").asString()).isEqualTo("CancelledError");
                assertThat(job.get("error").get("message").asString()).contains("terminate");
            }
            for (long pid : pids) {
                Await.until("worker " + pid + " killed", Duration.ofSeconds(10),
                        () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
            }
            // The batch was cancelled by the terminate, not by one of its chunks: it says when.
            JsonNode cancelledBatch = Await.until("the batch is final", Duration.ofSeconds(10),
                    () -> api.get("/v1/batches/" + batch).json(), b -> b.get("ready").asBoolean());
            assertThat(cancelledBatch.get("status").asString()).isEqualTo("CANCELLED");
            assertThat(cancelledBatch.get("cancelledAt").isNull()).isFalse();
            assertThat(api.post("/v1/jobs", "{\"task\":\"echo\"}").json().get("type").asString()).isEqualTo("pool-closed");
        } finally {
            api.post("/v1/pool/open", null);
        }
        assertThat(api.run("{\"task\":\"echo\"}", 20).get("status").asString()).isEqualTo("SUCCEEDED");
    }

    @Test
    void poolListsThisReplicaAmongTheNodesAndJobsNameTheirNode() {
        JsonNode pool = api.get("/v1/pool").json();
        String node = pool.get("node").asString();
        assertThat(pool.get("nodes").findValuesAsString("id")).contains(node);
        JsonNode done = api.run("{\"task\":\"echo\"}", 20);
        assertThat(done.get("worker").get("node").asString()).isEqualTo(node);
        assertThat(done.get("worker").get("pid").asLong()).isPositive();
    }

    /**
     * A replica running a longer lease than this one (halfway through a rolling change of
     * jobs.lease) heartbeats every third of its own lease: it is alive by that, not by this
     * replica's 30 s (QA: a 120 s replica showed alive=false on a 10 s one most of each cycle).
     */
    @Test
    void aReplicaIsAliveByItsOwnLeaseNotByTheAnsweringReplicas() {
        java.time.Instant now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        store.heartbeat(new io.jobpool.job.ClusterNode("long-lease", now, now.minusSeconds(45), 1, 0, Duration.ofSeconds(120)));
        store.heartbeat(new io.jobpool.job.ClusterNode("short-lease", now, now.minusSeconds(45), 1, 0, Duration.ofSeconds(10)));
        store.heartbeat(new io.jobpool.job.ClusterNode("earlier-version", now, now.minusSeconds(45), 1, 0, null));
        store.heartbeat(new io.jobpool.job.ClusterNode("expired", now, now.minus(Duration.ofMinutes(61)), 1, 0, null));
        try {
            java.util.Map<String, Boolean> alive = new java.util.HashMap<>();
            api.get("/v1/pool").json().get("nodes").forEach(n -> alive.put(n.get("id").asString(), n.get("alive").asBoolean()));
            assertThat(alive).as("heartbeats 45 s old; this replica runs a 30 s lease")
                    .containsEntry("long-lease", true).containsEntry("short-lease", false)
                    .as("a row without its lease is judged by this replica's").containsEntry("earlier-version", false)
                    .as("silent past jobpool.cluster.node-expiry (1h), before the sweep deletes it").doesNotContainKey("expired");
        } finally {
            for (String id : List.of("long-lease", "short-lease", "earlier-version", "expired")) {
                store.forgetNodes(id, java.time.Instant.EPOCH);
            }
        }
    }

    @Test
    void workersSeeAScrubbedEnvironment() throws Exception {
        Path environment = Await.until("a live worker", Duration.ofSeconds(10),
                () -> Path.of("/proc", api.get("/v1/pool").json().get("workers").get(0).get("pid").asString(), "environ"),
                Files::isReadable);
        String environ = Files.readString(environment);
        Set<String> names = Arrays.stream(environ.split("\u0000")).filter(e -> e.contains("="))
                .map(e -> e.substring(0, e.indexOf('='))).collect(Collectors.toSet());
        // JOBPOOL_WORKER_MARKER is no secret: the pool's own tag for finding the worker's processes.
        assertThat(names).isSubsetOf("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "JOBPOOL_WORKER_MARKER");
        assertThat(System.getenv()).as("the test runs with variables a worker must not see").isNotEmpty();
    }

    private int readyWorkers() {
        return readyWorkers(api.get("/v1/pool").json());
    }

    /** The pool's workers if all of them are ready (none starting or stopping), else -1. */
    private static int readyWorkers(JsonNode pool) {
        JsonNode workers = pool.get("workers");
        int ready = 0;
        for (JsonNode worker : workers) {
            ready += Set.of("IDLE", "BUSY").contains(worker.get("state").asString()) ? 1 : 0;
        }
        return workers.size() == ready ? ready : -1;
    }
}
