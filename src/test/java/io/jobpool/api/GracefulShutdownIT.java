package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import io.jobpool.testing.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Tests SIGTERM on the built jar as a real process: no new claims, running jobs get the shutdown
 * grace, the rest are killed and put back in the queue without counting as an attempt, and
 * nothing accepted is lost.
 */
class GracefulShutdownIT {

    private final Path data = Path.of("target", "it-data", "shutdown-" + System.nanoTime());
    // A poll interval longer than the whole test: a dispatcher waiting for a worker must be woken
    // by the SIGTERM, not by the interval running out.
    private final Map<String, String> environment = Map.of("JOBPOOL_POOL_SIZE", "2", "JOBPOOL_SHUTDOWN_GRACE", "3s",
            "JOBPOOL_CLUSTER_POLLINTERVAL", "120s");

    @Test
    void sigtermFinishesWhatFitsTheGraceAndRequeuesTheRest() throws Exception {
        String quick;
        String slow;
        List<String> queued = new ArrayList<>();
        List<Long> workers;
        try (ServerProcess server = ServerProcess.start(data, environment)) {
            ApiClient api = new ApiClient(server.port());
            quick = api.submit("{\"task\":\"sleep\",\"args\":[1]}").get("id").asString();
            slow = api.submit("{\"task\":\"sleep\",\"args\":[6]}").get("id").asString();
            Await.until("both sleeps running", Duration.ofSeconds(15), () -> api.get("/v1/jobs?status=RUNNING").json().get("items").size() == 2);
            for (int i = 0; i < 3; i++) {
                queued.add(api.submit("{\"task\":\"square\",\"args\":[" + i + "]}").get("id").asString());
            }
            workers = server.workerPids();
            // A client long-polling the slow job: at SIGTERM it gets the job as it is (not ready)
            // at once, instead of holding the web server's drain while the grace waits behind it.
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>> longPoll = http.sendAsync(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + server.port() + "/v1/jobs/" + slow + "?wait=300"))
                            .timeout(Duration.ofSeconds(120)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            Await.until("the long poll in progress on the server", Duration.ofSeconds(10),
                    () -> activeRequests(http, server.managementPort()) >= 1);
            assertThat(longPoll).isNotDone();
            int exit = server.terminate(Duration.ofSeconds(60));
            assertThat(exit).isIn(0, 143);
            // Every worker was busy: the dispatcher stopped at once, before the grace began.
            String log = server.log();
            assertThat(log).contains("Dispatcher stopped claiming jobs for the java pool");
            assertThat(log.indexOf("Dispatcher stopped claiming jobs for the java pool"))
                    .isLessThan(log.indexOf("java worker pool shutting down"));
            java.net.http.HttpResponse<String> answered = longPoll.get(5, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(answered.statusCode()).as("the long poll was answered, not cut off").isEqualTo(200);
            assertThat(answered.body()).contains("\"id\":\"" + slow + "\"", "\"ready\":false");
        }
        for (long pid : workers) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("worker %d outlived the server", pid).isFalse();
        }
        Instant restarted = Instant.now();
        try (ServerProcess server = ServerProcess.start(data, environment)) {
            ApiClient api = new ApiClient(server.port());
            JsonNode finishedInGrace = api.get("/v1/jobs/" + quick).json();
            assertThat(finishedInGrace.get("status").asString()).isEqualTo("SUCCEEDED");
            assertThat(Instant.parse(finishedInGrace.get("finishedAt").asString())).isBefore(restarted);

            JsonNode interrupted = api.awaitReady(slow, 30);
            assertThat(interrupted.get("status").asString()).isEqualTo("SUCCEEDED");
            assertThat(interrupted.get("attempts").asInt()).as("the interrupted run is not counted").isEqualTo(1);
            assertThat(Instant.parse(interrupted.get("startedAt").asString())).isAfter(restarted);

            for (String id : queued) {
                JsonNode job = api.awaitReady(id, 30);
                assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
                assertThat(Instant.parse(job.get("startedAt").asString())).as("not claimed after SIGTERM").isAfter(restarted);
            }
        }
    }

    /**
     * SIGTERM while the database is out of reach: the node still stops, within the shutdown grace
     * and a bounded wait for the outcome it could not write, and says it abandons that outcome.
     * Nothing is lost: restarted with the database back, the node runs the job again.
     */
    @Test
    void sigtermDuringADatabaseOutageStopsWithoutWaitingForTheDatabase() throws Exception {
        String database = "jobpool_shutdown_outage";
        Map<String, String> onPostgres = Map.of("JOBPOOL_POOL_SIZE", "1", "JOBPOOL_SHUTDOWN_GRACE", "3s",
                "JOBPOOL_NODE_ID", "outage-node",
                "SPRING_DATASOURCE_URL", outageDatabase(database), "SPRING_DATASOURCE_USERNAME", "postgres",
                "SPRING_DATASOURCE_PASSWORD", "postgres");
        String id;
        try (ServerProcess server = ServerProcess.start(data, onPostgres)) {
            ApiClient api = new ApiClient(server.port());
            id = api.submit("{\"task\":\"sleep\",\"args\":[1]}").get("id").asString();
            try {
                execute("ALTER DATABASE " + database + " WITH ALLOW_CONNECTIONS false");
                execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database + "'");
                Await.until("the job's outcome waiting for the store", Duration.ofSeconds(30),
                        () -> logOf(server).contains("Could not record the outcome of job " + id));
                long signalled = System.nanoTime();
                server.terminate(Duration.ofSeconds(60));
                assertThat(Duration.ofNanos(System.nanoTime() - signalled)).as("stopped without the database")
                        .isLessThan(Duration.ofSeconds(60));
                assertThat(server.log()).contains("abandoning them", "Could not record the outcome of job " + id + "; abandoned");
            } finally {
                execute("ALTER DATABASE " + database + " WITH ALLOW_CONNECTIONS true");
            }
        }
        try (ServerProcess server = ServerProcess.start(data, onPostgres)) {
            JsonNode job = new ApiClient(server.port()).awaitReady(id, 60);
            assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
        }
    }

    private static String logOf(ServerProcess server) {
        try {
            return server.log();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A database of its own on the test PostgreSQL, so that cutting it off touches no other test. */
    private static String outageDatabase(String database) {
        execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        execute("CREATE DATABASE " + database);
        return io.jobpool.testing.Postgres.serviceUrl("public").replaceFirst("(jdbc:postgresql://[^/]+/)[^?]*", "$1" + database);
    }

    private static void execute(String sql) {
        try (java.sql.Connection connection = io.jobpool.testing.Postgres.dataSource().getConnection();
                java.sql.Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** Requests the server is answering now ({@code http.server.requests.active}, which counts long polls). */
    private static double activeRequests(java.net.http.HttpClient http, int managementPort) {
        String metrics;
        try {
            metrics = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + managementPort + "/actuator/prometheus")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        } catch (java.io.IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
        return metrics.lines().filter(line -> line.startsWith("http_server_requests_active_seconds_gcount{") && line.contains("method=\"GET\""))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }
}
