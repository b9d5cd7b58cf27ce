package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import io.jobpool.testing.Postgres;
import io.jobpool.testing.ServerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * Tests three replicas of the built jar on one real PostgreSQL: work spreads and completes exactly
 * once, commands sent to one replica act on the job or pool wherever it is, long-polls are woken by
 * {@code NOTIFY} (the fallback poll is a minute, far above what is asserted), and a replica that
 * loses its database connection or is killed loses no job and runs none twice. Kept lean for a
 * small machine: two workers per replica, short leases, and the replica killed last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

    private static final String SCHEMA = "jobpool_cluster_it";
    private static final Duration LEASE = Duration.ofSeconds(6);
    private static final Pattern SUCCEEDED = Pattern.compile(
            "(?m)^jobpool_jobs_completed_total\\{[^}]*outcome=\"succeeded\"[^}]*} ([0-9.E]+)$");

    private final Path data = Path.of("target", "it-data", "cluster-" + System.nanoTime());
    private final Map<String, ServerProcess> nodes = new HashMap<>();
    /** jobpool.queue.capacity of every replica. */
    private static final int CAPACITY = 5200;
    private final Map<String, ApiClient> apis = new HashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    void startThreeReplicas() throws Exception {
        String url = Postgres.serviceUrl(SCHEMA);
        try (Connection connection = Postgres.dataSource().getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
            statement.execute("CREATE SCHEMA " + SCHEMA);
        }
        // Started side by side: on a small, busy machine one JVM after the other takes minutes.
        Map<String, Future<ServerProcess>> starting = new HashMap<>();
        try (ExecutorService starter = Executors.newFixedThreadPool(3)) {
            for (String node : List.of("node-a", "node-b", "node-c")) {
                Map<String, String> environment = Map.ofEntries(
                        Map.entry("SPRING_DATASOURCE_URL", url + "&ApplicationName=" + node),
                        Map.entry("SPRING_DATASOURCE_USERNAME", "postgres"),
                        Map.entry("SPRING_DATASOURCE_PASSWORD", "postgres"),
                        Map.entry("JOBPOOL_NODE_ID", node),
                        Map.entry("JOBPOOL_POOL_SIZE", "2"),
                        Map.entry("JOBPOOL_TASKS_DIAGNOSTICS", "true"),
                        Map.entry("JOBPOOL_JOBS_LEASE", LEASE.toSeconds() + "s"),
                        Map.entry("JOBPOOL_SHUTDOWN_GRACE", "1s"),
                        // Above the 5,000 jobs of the first test, which never all wait at once.
                        Map.entry("JOBPOOL_QUEUE_CAPACITY", Integer.toString(CAPACITY)),
                        // One primes job at a time in the whole cluster (jobpool.tasks.<name>.max-concurrency).
                        Map.entry("SPRING_APPLICATION_JSON", "{\"jobpool.tasks.primes.max-concurrency\":1}"),
                        // Far above every bound asserted here: what is fast is fast because of NOTIFY.
                        Map.entry("JOBPOOL_CLUSTER_POLL_INTERVAL", "60s"));
                starting.put(node, starter.submit(() -> ServerProcess.start(data.resolve(node), environment)));
            }
        }
        for (Map.Entry<String, Future<ServerProcess>> node : starting.entrySet()) {
            try {
                ServerProcess server = node.getValue().get();
                nodes.put(node.getKey(), server);
                apis.put(node.getKey(), new ApiClient(server.port()));
            } catch (java.util.concurrent.ExecutionException e) {
                nodes.values().forEach(ServerProcess::close);
                throw new AssertionError("replica " + node.getKey() + " did not start", e.getCause());
            }
        }
    }

    @AfterAll
    void stopReplicas() {
        nodes.values().forEach(ServerProcess::close);
    }

    private ApiClient api(String node) {
        return apis.get(node);
    }

    @Test
    @Order(0)
    void theQueueCapacityBoundsTheWholeClusterNotEachNode() throws Exception {
        List<String> names = List.of("node-a", "node-b", "node-c");
        java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
        try (ExecutorService clients = Executors.newFixedThreadPool(8)) {
            List<Future<?>> work = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                work.add(clients.submit(() -> {
                    // Delayed: they stay queued. Each client stops at its first refusal; bounded in count.
                    for (int n = attempts.getAndIncrement(); n < 2 * CAPACITY; n = attempts.getAndIncrement()) {
                        ApiClient.Response response = api(names.get(n % 3)).post("/v1/jobs", "{\"task\":\"echo\",\"delaySeconds\":600}");
                        if (response.status() == 429) {
                            return null;
                        }
                        assertThat(response.status()).as(response.body()).isEqualTo(202);
                        accepted.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> client : work) {
                client.get();
            }
        }
        try {
            for (String node : names) {
                // A node sees what the others queued at its next count of the shared queue (every
                // 250 ms, at most 2 s apart while its own inserts are under way): until then it may
                // still take a job, which runs at once on an idle worker and queues nothing. A node
                // that counted only its own submissions would not refuse here at all.
                ApiClient.Response refused = Await.until("node " + node + " refuses work once it has counted the full queue",
                        Duration.ofSeconds(3), () -> api(node).post("/v1/jobs", "{\"task\":\"echo\"}"), r -> r.status() != 202);
                assertThat(refused.status()).as("submit to %s once the cluster's queue is full", node).isEqualTo(429);
                assertThat(refused.json().get("type").asString()).isEqualTo("queue-full");
                assertThat(refused.header("Retry-After")).isNotNull();
            }
            long queued = countQueued("node-b");
            // Each node counts the shared queue at most every 250 ms and adds its own submissions on top,
            // so the others' submissions of the last quarter second can pass the bound; three nodes each
            // filling a queue of their own would have taken three times the capacity.
            assertThat(queued).as("%d accepted", accepted.get()).isBetween((long) CAPACITY, CAPACITY + 300L);
        } finally {
            assertThat(api("node-c").post("/v1/pool/terminate", null).status()).isEqualTo(200);
            assertThat(api("node-a").post("/v1/pool/open", null).json().get("accepting").asBoolean()).isTrue();
        }
        assertThat(countQueued("node-a")).isZero();
    }

    /** The jobs QUEUED in the shared store, counted page by page (not a node's estimate). */
    private long countQueued(String node) {
        long count = 0;
        String cursor = null;
        for (int page = 0; page < 100; page++) {
            JsonNode listed = api(node).get("/v1/jobs?status=QUEUED&limit=1000" + (cursor == null ? "" : "&cursor=" + cursor)).json();
            count += listed.get("items").size();
            JsonNode next = listed.get("next");
            if (next == null || next.isNull()) {
                return count;
            }
            cursor = next.asString();
        }
        throw new AssertionError("more than 100 pages of queued jobs");
    }

    @Test
    @Order(1)
    void fiveThousandJobsSubmittedRoundRobinCompleteExactlyOnceOnEveryNode() throws Exception {
        Map<String, Double> before = succeededByNode();
        List<String> names = List.of("node-a", "node-b", "node-c");
        int total = 5000;
        List<Future<String>> submitted = new ArrayList<>(total);
        long started = System.nanoTime();
        try (ExecutorService clients = Executors.newFixedThreadPool(6)) {
            for (int i = 0; i < total; i++) {
                ServerProcess target = nodes.get(names.get(i % 3));
                String body = "{\"task\":\"square\",\"args\":[" + i + "]}";
                submitted.add(clients.submit(() -> submit(target, body)));
            }
        }
        List<String> ids = new ArrayList<>(total);
        for (Future<String> id : submitted) {
            ids.add(id.get());
        }
        // join answers 202 at its timeout while work remains; on a loaded machine that may take a few rounds.
        Await.until("join on node-b answers that nothing is queued or running", Duration.ofMinutes(10),
                () -> api("node-b").post("/v1/pool/join?timeout=60", null).status() == 200);
        System.out.printf("%d square jobs over 3 replicas: %.0f jobs/s from first submit to join%n", total,
                total / (Duration.ofNanos(System.nanoTime() - started).toMillis() / 1000.0));

        Map<String, Double> after = succeededByNode();
        double completed = 0;
        for (String node : names) {
            double ran = after.get(node) - before.get(node);
            assertThat(ran).as("jobs completed on %s", node).isPositive();
            completed += ran;
        }
        assertThat(completed).as("completions counted by all nodes together: each job exactly once").isEqualTo(total);
        for (int i = 0; i < total; i += 97) {
            JsonNode job = api(names.get(i % 3)).get("/v1/jobs/" + ids.get(i)).json();
            assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
            assertThat(job.get("result").asLong()).isEqualTo((long) i * i);
            assertThat(job.get("attempts").asInt()).isEqualTo(1);
            assertThat(names).contains(job.get("worker").get("node").asString());
        }
    }

    private String submit(ServerProcess target, String body) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + target.port() + "/v1/jobs"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        return ApiClient.JSON.readTree(response.body()).get("id").asString();
    }

    /** {@code jobpool_jobs_completed_total{outcome="succeeded"}} of each live node, summed over tasks. */
    private Map<String, Double> succeededByNode() throws Exception {
        Map<String, Double> counts = new HashMap<>();
        for (Map.Entry<String, ServerProcess> node : nodes.entrySet()) {
            String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.getValue().managementPort()
                    + "/actuator/prometheus")).build(), HttpResponse.BodyHandlers.ofString()).body();
            double sum = 0;
            Matcher matcher = SUCCEEDED.matcher(metrics);
            while (matcher.find()) {
                sum += Double.parseDouble(matcher.group(1));
            }
            counts.put(node.getKey(), sum);
        }
        return counts;
    }

    /** Submits a long sleep and returns where it runs and its worker pid there. */
    private Running runningSleep(String via) {
        String id = api(via).submit("{\"task\":\"sleep\",\"args\":[60]}").get("id").asString();
        JsonNode worker = Await.until("job " + id + " running on a worker", Duration.ofSeconds(20),
                () -> api(via).get("/v1/jobs/" + id).json().get("worker"),
                w -> w != null && !w.isNull() && w.get("node").isString());
        String node = worker.get("node").asString();
        long pid = Await.until("the pid of job " + id + " on " + node, Duration.ofSeconds(20),
                () -> api(node).get("/v1/jobs/" + id).json().get("worker").get("pid"), p -> p != null && !p.isNull()).asLong();
        return new Running(id, node, pid);
    }

    private record Running(String id, String node, long pid) {}

    private static String other(String node) {
        return node.equals("node-a") ? "node-b" : "node-a";
    }

    @Test
    @Order(2)
    void cancelSentToAnotherNodeKillsTheWorkerWhereTheJobRuns() {
        Running job = runningSleep("node-a");
        String elsewhere = other(job.node());
        assertThat(ProcessHandle.of(job.pid()).map(ProcessHandle::isAlive)).contains(true);
        // The other replica knows the worker's pid only from the store, where the running one records it.
        Await.until("the running job's worker pid shown by " + elsewhere, Duration.ofSeconds(5),
                () -> api(elsewhere).get("/v1/jobs/" + job.id()).json().get("worker").get("pid").asLong(0) == job.pid());
        Await.until("the sleep's first line in its live log", Duration.ofSeconds(15),
                () -> api(job.node()).get("/v1/jobs/" + job.id() + "/logs").body().contains("sleeping for"));
        JsonNode cancelled = api(elsewhere).post("/v1/jobs/" + job.id() + "/cancel", null).json();
        assertThat(cancelled.get("status").asString()).isEqualTo("CANCELLED");
        assertThat(api(elsewhere).get("/v1/jobs/" + job.id() + "/logs").body())
                .as("read at once, the log the killed worker leaves on its node").contains("sleeping for");
        Await.until("worker " + job.pid() + " on " + job.node() + " killed", Duration.ofSeconds(2),
                () -> ProcessHandle.of(job.pid()).map(p -> !p.isAlive()).orElse(true));
        Await.until("a replacement worker on " + job.node(), Duration.ofSeconds(20),
                () -> api(job.node()).get("/v1/pool").json().get("workers").findValuesAsString("state").stream()
                        .filter("IDLE"::equals).count() == 2);
        Await.until("the pid of the killed worker recorded on the job", Duration.ofSeconds(10),
                () -> api(elsewhere).get("/v1/jobs/" + job.id()).json().get("worker").get("pid").asLong(0) == job.pid());
        for (String node : nodes.keySet()) {
            JsonNode seen = api(node).get("/v1/jobs/" + job.id()).json();
            assertThat(seen.get("status").asString()).as("on %s after the worker's exit was recorded", node).isEqualTo("CANCELLED");
            assertThat(seen.get("worker").get("node").asString()).isEqualTo(job.node());
            assertThat(seen.get("worker").get("pid").asLong()).as("on %s", node).isEqualTo(job.pid());
        }
    }

    @Test
    @Order(3)
    void closeOnOneNodeClosesEveryNodeAndOpenOnAnotherReopensThemAll() {
        try {
            assertThat(api("node-a").post("/v1/pool/close", null).json().get("accepting").asBoolean()).isFalse();
            for (String node : List.of("node-b", "node-c")) {
                // The other nodes hear of the close by NOTIFY, within milliseconds (a submit racing the
                // message may still get in, and just runs); their fallback re-read is 60 s here, so a
                // refusal within 2 s is the message's doing.
                ApiClient.Response refused = Await.until("node " + node + " refuses work", Duration.ofSeconds(2),
                        () -> api(node).post("/v1/jobs", "{\"task\":\"echo\"}"), r -> r.status() != 202);
                assertThat(refused.status()).as("submit to %s", node).isEqualTo(503);
                assertThat(refused.json().get("type").asString()).isEqualTo("pool-closed");
                assertThat(api(node).get("/v1/pool").json().get("accepting").asBoolean()).isFalse();
            }
        } finally {
            assertThat(api("node-c").post("/v1/pool/open", null).json().get("accepting").asBoolean()).isTrue();
        }
        for (String node : List.of("node-a", "node-b", "node-c")) {
            assertThat(api(node).post("/v1/jobs", "{\"task\":\"echo\"}").status()).as("submit to %s", node).isEqualTo(202);
        }
    }

    @Test
    @Order(4)
    void aLongPollOnAnotherNodeIsWokenByTheFinishNotAPoll() {
        JsonNode pool = api("node-a").get("/v1/pool").json();
        assertThat(pool.get("nodes").findValuesAsString("id")).containsExactly("node-a", "node-b", "node-c");
        assertThat(pool.get("nodes").findValues("alive")).allMatch(JsonNode::asBoolean);
        List<Long> pickups = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            String id = api("node-a").submit("{\"task\":\"sleep\",\"args\":[1]}").get("id").asString();
            String runner = Await.until("job " + id + " running", Duration.ofSeconds(20),
                    () -> api("node-a").get("/v1/jobs/" + id).json().get("worker"), w -> w != null && !w.isNull())
                    .get("node").asString();
            ApiClient.Response answer = api(other(runner)).get("/v1/jobs/" + id + "?wait=50");
            Instant answered = Instant.now();
            JsonNode job = answer.json();
            assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
            Duration lag = Duration.between(Instant.parse(job.get("finishedAt").asString()), answered);
            pickups.add(Duration.between(Instant.parse(job.get("createdAt").asString()),
                    Instant.parse(job.get("startedAt").asString())).toMillis());
            System.out.println("Long-poll on " + other(runner) + " for a job on " + runner + " answered " + lag.toMillis()
                    + " ms after it finished");
            // The fallback poll is 60 s: an answer within a second can only have come from NOTIFY.
            assertThat(lag).isLessThan(Duration.ofSeconds(1));
        }
        pickups.sort(null);
        System.out.println("Pickup (createdAt to startedAt) on an idle 3-node cluster, ms: " + pickups + ", p50 "
                + pickups.get(pickups.size() / 2));
    }

    @Test
    @Order(5)
    void aRunningJobsLogIsReadableFromAnyNode() {
        String id = api("node-a").submit("{\"task\":\"print\",\"args\":[\"visible everywhere\"],\"kwargs\":{}}").get("id").asString();
        api("node-a").awaitReady(id, 20);
        for (String node : nodes.keySet()) {
            assertThat(api(node).get("/v1/jobs/" + id + "/logs").body()).contains("visible everywhere");
        }
        Running sleeping = runningSleep("node-b");
        try {
            String reader = other(sleeping.node());
            // RUNNING comes before the task's first line reaches its node: wait for that line, read elsewhere.
            Await.until("what the sleep printed so far on " + sleeping.node() + ", read on " + reader, Duration.ofSeconds(15),
                    () -> api(reader).get("/v1/jobs/" + sleeping.id() + "/logs").body().contains("sleeping for 60"));
        } finally {
            api("node-c").post("/v1/jobs/" + sleeping.id() + "/cancel", null);
        }
    }

    @Test
    @Order(6)
    void aNodeWhoseDatabaseConnectionDropsRecoversWithoutLosingOrRepeatingJobs() throws Exception {
        Map<String, Double> before = succeededByNode();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            ids.add(api(List.of("node-a", "node-c").get(i % 2)).submit("{\"task\":\"sleep\",\"args\":[0.5]}").get("id").asString());
        }
        Await.until("node-b running jobs", Duration.ofSeconds(20),
                () -> api("node-b").get("/v1/pool").json().get("busy").asInt() > 0);
        long until = System.nanoTime() + Duration.ofMillis(2500).toNanos();
        int terminated = 0;
        try (Connection admin = Postgres.dataSource().getConnection(); Statement statement = admin.createStatement()) {
            while (System.nanoTime() < until) {
                try (var rs = statement.executeQuery(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'node-b'")) {
                    rs.next();
                    terminated += rs.getInt(1);
                }
            }
        }
        assertThat(terminated).as("node-b's connections were cut").isPositive();
        for (String id : ids) {
            JsonNode job = api("node-a").awaitReady(id, 60);
            assertThat(job.get("status").asString()).as("job %s", id).isEqualTo("SUCCEEDED");
            assertThat(job.get("attempts").asInt()).as("job %s ran once", id).isEqualTo(1);
        }
        Map<String, Double> after = succeededByNode();
        double completed = 0;
        for (String node : after.keySet()) {
            completed += after.get(node) - before.get(node);
        }
        assertThat(completed).as("each job completed exactly once").isEqualTo(ids.size());
        String recovered = api("node-b").submit("{\"task\":\"square\",\"args\":[4]}").get("id").asString();
        assertThat(api("node-b").awaitReady(recovered, 20).get("result").asInt()).isEqualTo(16);
    }

    @Test
    @Order(7)
    void aTaskConcurrencyCapHoldsAcrossReplicas() {
        List<String> ids = new ArrayList<>();
        List<String> names = List.of("node-a", "node-b", "node-c");
        for (int i = 0; i < 6; i++) {
            ApiClient.Response submitted = api(names.get(i % 3)).post("/v1/jobs", "{\"task\":\"primes\",\"args\":[1000000]}");
            assertThat(submitted.status()).as(submitted.body()).isEqualTo(202);
            assertThat(submitted.json().get("status").asString()).as("a capped task is never handed to an idle worker")
                    .isEqualTo("QUEUED");
            ids.add(submitted.json().get("id").asString());
        }
        List<JsonNode> jobs = ids.stream().map(id -> api("node-a").awaitReady(id, 120))
                .sorted(java.util.Comparator.comparing(job -> Instant.parse(job.get("startedAt").asString()))).toList();
        for (int i = 0; i < jobs.size(); i++) {
            assertThat(jobs.get(i).get("status").asString()).isEqualTo("SUCCEEDED");
            assertThat(jobs.get(i).get("result").asLong()).isEqualTo(78498);
            if (i > 0) {
                Instant previousEnd = Instant.parse(jobs.get(i - 1).get("finishedAt").asString());
                assertThat(Instant.parse(jobs.get(i).get("startedAt").asString()))
                        .as("primes %d (on %s) starts after primes %d (on %s) ended", i, jobs.get(i).get("worker").get("node").asString(),
                                i - 1, jobs.get(i - 1).get("worker").get("node").asString())
                        .isAfterOrEqualTo(previousEnd);
            }
        }
    }

    @Test
    @Order(8)
    void jobsOfAKilledNodeFinishElsewhereWithoutOverlappingRuns() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ids.add(api("node-a").submit("{\"task\":\"sleep\",\"args\":[2]}").get("id").asString());
        }
        ServerProcess victim = nodes.get("node-c");
        JsonNode busy = Await.until("node-c running jobs", Duration.ofSeconds(30),
                () -> api("node-c").get("/v1/pool").json().get("workers"),
                workers -> workers.findValuesAsString("state").contains("BUSY"));
        Map<String, Long> pidByJob = new HashMap<>();
        for (JsonNode worker : busy) {
            if (worker.get("jobId").isString() && ids.contains(worker.get("jobId").asString())) {
                pidByJob.put(worker.get("jobId").asString(), worker.get("pid").asLong());
            }
        }
        assertThat(pidByJob).isNotEmpty();
        victim.killHard();
        nodes.remove("node-c");
        Map<String, Instant> firstRunEnded = new HashMap<>();
        for (Map.Entry<String, Long> run : pidByJob.entrySet()) {
            Await.until("worker " + run.getValue() + " of the killed node exits", Duration.ofSeconds(10),
                    () -> ProcessHandle.of(run.getValue()).map(p -> !p.isAlive()).orElse(true));
            firstRunEnded.put(run.getKey(), Instant.now());
        }
        for (String id : ids) {
            JsonNode job = api("node-b").awaitReady(id, 90);
            assertThat(job.get("status").asString()).as("job %s", id).isEqualTo("SUCCEEDED");
            if (pidByJob.containsKey(id)) {
                assertThat(job.get("attempts").asInt()).as("job %s ran again after its node died", id).isEqualTo(2);
                assertThat(job.get("worker").get("node").asString()).isNotEqualTo("node-c");
                assertThat(Instant.parse(job.get("startedAt").asString()))
                        .as("job %s started again only after its first run had ended", id).isAfter(firstRunEnded.get(id));
            } else {
                assertThat(job.get("attempts").asInt()).as("job %s ran once", id).isEqualTo(1);
            }
        }
        Await.until("node-c shown as not alive once its heartbeat is older than a lease", Duration.ofSeconds(30), () -> {
            for (JsonNode node : api("node-a").get("/v1/pool").json().get("nodes")) {
                if (node.get("id").asString().equals("node-c")) {
                    return !node.get("alive").asBoolean();
                }
            }
            return false;
        });
    }
}
