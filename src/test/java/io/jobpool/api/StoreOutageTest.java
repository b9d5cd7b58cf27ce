package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import io.jobpool.testing.Postgres;
import io.jobpool.testing.RawHttp;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Tests what a client meets while the database is out of reach: a prompt 503 {@code
 * store-unavailable} with {@code Retry-After}, not a 500 after half a minute, and the service
 * answering again by itself once the database is back. The outage is real: the service's own
 * database on a real PostgreSQL refuses connections and its sessions are ended.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "jobpool.pool.size=1", "management.server.port=0"})
class StoreOutageTest {

    private static final String DATABASE = "jobpool_outage_test";

    @LocalServerPort
    int port;

    @org.springframework.boot.test.web.server.LocalManagementPort
    int managementPort;

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> {
            execute("DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
            execute("CREATE DATABASE " + DATABASE);
            return Postgres.serviceUrl("public").replaceFirst("(jdbc:postgresql://[^/]+/)[^?]*", "$1" + DATABASE);
        });
        registry.add("spring.datasource.username", () -> "postgres");
        registry.add("spring.datasource.password", () -> "postgres");
    }

    @AfterAll
    static void reopen() {
        execute("ALTER DATABASE " + DATABASE + " WITH ALLOW_CONNECTIONS true");
    }

    @Test
    void whileTheDatabaseIsOutOfReachRequestsAre503AndTheServiceRecoversByItself() throws Exception {
        ApiClient api = new ApiClient(port);
        String id = api.run("{\"task\":\"square\",\"args\":[4]}", 20).get("id").asString();

        execute("ALTER DATABASE " + DATABASE + " WITH ALLOW_CONNECTIONS false");
        execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + DATABASE + "'");
        long started = System.nanoTime();
        RawHttp.Response refused = RawHttp.send(port, "GET /v1/jobs/" + id + " HTTP/1.1", null);
        assertThat(refused.status()).as(refused.text()).isEqualTo(503);
        assertThat(refused.contentType()).startsWith("application/problem+json");
        assertThat(refused.text()).contains("\"type\":\"store-unavailable\"");
        assertThat(refused.headers().get("retry-after")).isEqualTo("5");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("within the pool's connection timeout, not 30 s")
                .isLessThan(Duration.ofSeconds(20));
        RawHttp.Response submit = RawHttp.send(port, "POST /v1/jobs HTTP/1.1\r\nContent-Type: application/json",
                "{\"task\":\"square\",\"args\":[5]}".getBytes(StandardCharsets.UTF_8));
        assertThat(submit.status()).as(submit.text()).isEqualTo(503);
        // A scrape does not wait out the store's timeouts: its gauges read the store in the background.
        long scrapeStarted = System.nanoTime();
        RawHttp.Response scrape = RawHttp.send(managementPort, "GET /actuator/prometheus HTTP/1.1", null);
        assertThat(scrape.status()).isEqualTo(200);
        assertThat(scrape.text()).contains("jobpool_queue_depth", "jobpool_webhook_deliveries_pending");
        assertThat(Duration.ofNanos(System.nanoTime() - scrapeStarted)).as("within a scraper's timeout (10 s in the Helm chart)")
                .isLessThan(Duration.ofSeconds(5));

        execute("ALTER DATABASE " + DATABASE + " WITH ALLOW_CONNECTIONS true");
        Await.until("the service answering again", Duration.ofSeconds(30),
                () -> status("GET /v1/jobs/" + id) == 200);
        assertThat(api.run("{\"task\":\"square\",\"args\":[6]}", 30).get("result").asInt()).isEqualTo(36);
    }

    /**
     * Every operation that reads or writes the store answers the same documented 503 during an
     * outage (openapi.yaml lists it on each; the exchanges are checked against it), asked all at
     * once so the outage costs one connection timeout, not one per operation.
     */
    @Test
    @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
    void everyOperationThatNeedsTheStoreAnswers503StoreUnavailableDuringAnOutage(
            org.springframework.boot.test.system.CapturedOutput output) throws Exception {
        ApiClient api = new ApiClient(port);
        String job = api.run("{\"task\":\"square\",\"args\":[3]}", 20).get("id").asString();
        String batch = api.post("/v1/batches", "{\"task\":\"square\",\"items\":[1,2]}").json().get("id").asString();
        api.get("/v1/batches/" + batch + "/results?timeout=20");
        String delivery = "0196a0b2-77c1-7d3e-9a43-2f8c6d1e7a11";
        java.util.List<String[]> operations = java.util.List.of(
                new String[] {"POST", "/v1/jobs", "{\"task\":\"square\",\"args\":[2]}"},
                new String[] {"GET", "/v1/jobs", null},
                new String[] {"GET", "/v1/jobs/" + job, null},
                new String[] {"DELETE", "/v1/jobs/" + job, null},
                new String[] {"GET", "/v1/jobs/" + job + "/ready", null},
                new String[] {"GET", "/v1/jobs/" + job + "/successful", null},
                new String[] {"GET", "/v1/jobs/" + job + "/result", null},
                new String[] {"POST", "/v1/jobs/" + job + "/cancel", null},
                new String[] {"GET", "/v1/jobs/" + job + "/logs", null},
                new String[] {"GET", "/v1/jobs/" + job + "/deliveries", null},
                new String[] {"POST", "/v1/jobs/" + job + "/deliveries/" + delivery + "/retry", null},
                new String[] {"GET", "/v1/pool", null},
                new String[] {"PUT", "/v1/pool", "{\"size\":2}"},
                new String[] {"POST", "/v1/pool/close", null},
                new String[] {"POST", "/v1/pool/open", null},
                new String[] {"POST", "/v1/pool/join?timeout=0", null},
                new String[] {"POST", "/v1/pool/terminate", null},
                new String[] {"POST", "/v1/batches", "{\"task\":\"square\",\"items\":[1]}"},
                new String[] {"GET", "/v1/batches/" + batch, null},
                new String[] {"DELETE", "/v1/batches/" + batch, null},
                new String[] {"GET", "/v1/batches/" + batch + "/results", null},
                new String[] {"GET", "/v1/batches/" + batch + "/deliveries", null},
                new String[] {"POST", "/v1/batches/" + batch + "/deliveries/" + delivery + "/retry", null},
                new String[] {"POST", "/v1/batches/" + batch + "/cancel", null});
        java.util.List<String> wrong = new java.util.concurrent.CopyOnWriteArrayList<>();
        try {
            execute("ALTER DATABASE " + DATABASE + " WITH ALLOW_CONNECTIONS false");
            execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + DATABASE + "'");
            try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                for (String[] operation : operations) {
                    threads.submit(() -> {
                        try {
                            ApiClient.Response answer = api.exchange(operation[0], operation[1], operation[2], java.util.Map.of());
                            if (answer.status() != 503 || !answer.body().contains("\"type\":\"store-unavailable\"")
                                    || !"5".equals(answer.header("Retry-After"))) {
                                wrong.add(operation[0] + " " + operation[1] + " -> " + answer.status() + " " + answer.body());
                            }
                        } catch (AssertionError | RuntimeException e) {
                            wrong.add(operation[0] + " " + operation[1] + " -> " + e.getMessage());
                        }
                    });
                }
            }
        } finally {
            execute("ALTER DATABASE " + DATABASE + " WITH ALLOW_CONNECTIONS true");
        }
        assertThat(wrong).as("answers other than a documented 503 store-unavailable with Retry-After: 5").isEmpty();
        Await.until("the service answering again", Duration.ofSeconds(30), () -> status("GET /v1/jobs/" + job) == 200);
        assertThat(api.get("/v1/jobs/" + job).json().get("result").asInt()).as("nothing asked during the outage was done").isEqualTo(9);
        assertThat(api.get("/v1/pool").json().get("accepting").asBoolean()).isTrue();
        assertThat(api.get("/v1/pool").json().get("size").asInt()).as("the resize answered 503 was not made").isEqualTo(1);
        // A rollback on a connection the outage ended has nothing to undo: no ERROR with two stack traces per transaction.
        assertThat(output.getAll()).as("the log during the outage").doesNotContain("overridden by rollback exception");
    }

    @Test
    void aResultStreamTheStoreFailsUnderEndsShortWithoutAFalseLineAndIsReadWholeAgain() throws Exception {
        ApiClient api = new ApiClient(port);
        String batch = api.post("/v1/batches", "{\"task\":\"sleep\",\"items\":[" + "0.2,".repeat(14) + "0.2],\"chunksize\":1}")
                .json().get("id").asString();
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + port + "/v1/batches/" + batch + "/results"))
                .header("Accept", "application/x-ndjson").build();
        java.util.List<String> lines = new java.util.ArrayList<>();
        java.net.http.HttpResponse<java.util.stream.Stream<String>> stream = http.send(request,
                java.net.http.HttpResponse.BodyHandlers.ofLines());
        assertThat(stream.statusCode()).isEqualTo(200);
        java.util.Iterator<String> reader = stream.body().iterator();
        try {
            lines.add(reader.next());
            execute("ALTER DATABASE " + DATABASE + " WITH ALLOW_CONNECTIONS false");
            execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + DATABASE + "'");
            // The stream ends, short of the batch: no error mid-body, and no problem appended to it.
            while (reader.hasNext()) {
                lines.add(reader.next());
            }
        } finally {
            execute("ALTER DATABASE " + DATABASE + " WITH ALLOW_CONNECTIONS true");
        }
        assertThat(lines).as("only items, no problem written into the stream").allSatisfy(line -> assertThat(line).startsWith("{\"index\":"));
        assertThat(lines.size()).as("the store failed before the batch was done").isLessThan(15);

        Await.until("the service answering again", Duration.ofSeconds(30), () -> status("GET /v1/batches/" + batch) == 200);
        Await.until("the batch done", Duration.ofSeconds(60),
                () -> api.get("/v1/batches/" + batch).json().get("status").asString().equals("SUCCEEDED"));
        java.util.List<String> again = http.send(request, java.net.http.HttpResponse.BodyHandlers.ofLines()).body().toList();
        assertThat(again).hasSize(15).allSatisfy(line -> assertThat(line).startsWith("{\"index\":"));
    }

    @Test
    void aSubmissionWaitingWhenTheStoreGoesAwayIsAnswered202WithItsStoredJob() throws Exception {
        ApiClient api = new ApiClient(port);
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>> submit = http.sendAsync(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/v1/jobs?wait=30"))
                        .header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"task\":\"sleep\",\"args\":[3.5]}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        Await.until("the job stored and running while its submitter waits", Duration.ofSeconds(20),
                () -> api.get("/v1/jobs?status=RUNNING&task=sleep").body().contains("[3.5]"));
        java.net.http.HttpResponse<String> answer;
        try {
            execute("ALTER DATABASE " + DATABASE + " WITH ALLOW_CONNECTIONS false");
            execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + DATABASE + "'");
            answer = submit.get(60, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            execute("ALTER DATABASE " + DATABASE + " WITH ALLOW_CONNECTIONS true");
        }
        // The job is committed: a 503 would invite a client without an Idempotency-Key to store it twice.
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
        String location = answer.headers().firstValue("Location").orElseThrow();
        String id = ApiClient.JSON.readTree(answer.body()).get("id").asString();
        assertThat(location).isEqualTo("/v1/jobs/" + id);
        // The job as this request stored it (QUEUED), or as its wait last read it (RUNNING): the store can tell no more.
        assertThat(ApiClient.JSON.readTree(answer.body()).get("status").asString()).isIn("QUEUED", "RUNNING");
        assertThat(answer.body()).contains("\"args\":[3.5]");

        Await.until("the job done once the store is back", Duration.ofSeconds(60),
                () -> status("GET /v1/jobs/" + id) == 200 && api.get("/v1/jobs/" + id).json().get("status").asString().equals("SUCCEEDED"));
    }

    private int status(String request) {
        try {
            return RawHttp.send(port, request + " HTTP/1.1", null).status();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void execute(String sql) {
        try (Connection connection = Postgres.dataSource().getConnection(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }
}
