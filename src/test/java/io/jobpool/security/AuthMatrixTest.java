package io.jobpool.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import io.jobpool.testing.RawHttp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Tests for API keys: every endpoint called with no key, a wrong key, a key of each role, the
 * owner's key and another owner's key, against a table of the statuses each must get. Every
 * exchange is validated against {@code openapi.yaml}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "jobpool.pool.size=1",
        "jobpool.security.max-long-polls-per-key=2",
        "management.server.port=0"})
class AuthMatrixTest {

    /** The callers of the table's columns; the owner submitted every job the table reads. */
    enum Who {
        NONE(null), WRONG("not-a-key-of-this-service"), SUBMIT("key-submit-only"), READ("key-read-only"),
        ADMIN("key-admin"), OWNER("key-owner"), OTHER("key-other-owner");

        final String key;

        Who(String key) {
            this.key = key;
        }

        Map<String, String> headers() {
            return key == null ? Map.of() : Map.of("Authorization", "Bearer " + key);
        }
    }

    private static final Path DATA = Path.of("target", "test-data", "auth-" + ProcessHandle.current().pid());

    @DynamicPropertySource
    static void keys(DynamicPropertyRegistry registry) {
        registry.add("jobpool.data-dir", () -> DATA.toAbsolutePath().toString());
        key(registry, 0, "submitter", Who.SUBMIT, "submit");
        key(registry, 1, "reader", Who.READ, "read");
        key(registry, 2, "admin", Who.ADMIN, "admin");
        key(registry, 3, "owner", Who.OWNER, "submit,read");
        key(registry, 4, "other", Who.OTHER, "submit,read");
    }

    private static void key(DynamicPropertyRegistry registry, int i, String name, Who who, String roles) {
        registry.add("jobpool.security.api-keys[" + i + "].name", () -> name);
        registry.add("jobpool.security.api-keys[" + i + "].sha256", () -> sha256(who.key));
        registry.add("jobpool.security.api-keys[" + i + "].roles", () -> roles);
    }

    static String sha256(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @LocalServerPort
    int port;

    @LocalManagementPort
    int managementPort;

    ApiClient api;

    @BeforeEach
    void client() {
        api = new ApiClient(port);
    }

    /**
     * One endpoint and the status each caller gets, in {@link Who} order. The path's {@code {id}}
     * is a finished job of the owner, made fresh for each call that changes it.
     */
    record Row(String method, String path, String body, boolean freshJob, int... expected) {
        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    static Stream<Row> table() {
        String echo = "{\"task\":\"echo\",\"args\":[1]}";
        //                                                    NONE WRONG SUBMIT READ ADMIN OWNER OTHER
        return Stream.of(
                new Row("POST", "/v1/jobs", echo, false, 401, 401, 202, 403, 202, 202, 202),
                new Row("GET", "/v1/jobs", null, false, 401, 401, 403, 200, 200, 200, 200),
                new Row("GET", "/v1/jobs/{id}", null, false, 401, 401, 403, 404, 200, 200, 404),
                new Row("GET", "/v1/jobs/{id}/ready", null, false, 401, 401, 403, 404, 200, 200, 404),
                new Row("GET", "/v1/jobs/{id}/successful", null, false, 401, 401, 403, 404, 200, 200, 404),
                new Row("GET", "/v1/jobs/{id}/result", null, false, 401, 401, 403, 404, 200, 200, 404),
                new Row("GET", "/v1/jobs/{id}/logs", null, false, 401, 401, 403, 404, 200, 200, 404),
                new Row("GET", "/v1/jobs/{id}/deliveries", null, false, 401, 401, 403, 404, 200, 200, 404),
                new Row("POST", "/v1/jobs/{id}/deliveries/01a1fd74-0000-7000-8000-000000000000/retry", null, false,
                        401, 401, 404, 403, 404, 404, 404),
                new Row("POST", "/v1/jobs/{id}/cancel", null, false, 401, 401, 404, 403, 409, 409, 404),
                new Row("DELETE", "/v1/jobs/{id}", null, true, 401, 401, 404, 403, 204, 204, 404),
                new Row("GET", "/v1/tasks", null, false, 401, 401, 200, 200, 200, 200, 200),
                new Row("GET", "/v1/pool", null, false, 401, 401, 403, 403, 200, 403, 403),
                new Row("PUT", "/v1/pool", "{\"size\":1}", false, 401, 401, 403, 403, 200, 403, 403),
                new Row("POST", "/v1/pool/open", null, false, 401, 401, 403, 403, 200, 403, 403),
                new Row("POST", "/v1/pool/close", null, false, 401, 401, 403, 403, 200, 403, 403),
                new Row("POST", "/v1/batches", "{\"task\":\"square\",\"items\":[1,2]}", false, 401, 401, 202, 403, 202, 202, 202),
                new Row("GET", "/v1/batches/{batch}", null, false, 401, 401, 403, 404, 200, 200, 404),
                new Row("GET", "/v1/batches/{batch}/results", null, false, 401, 401, 403, 404, 200, 200, 404),
                new Row("GET", "/v1/batches/{batch}/deliveries", null, false, 401, 401, 403, 404, 200, 200, 404),
                new Row("POST", "/v1/batches/{batch}/deliveries/01a1fd74-0000-7000-8000-000000000000/retry", null, false,
                        401, 401, 404, 403, 404, 404, 404),
                new Row("POST", "/v1/batches/{batch}/cancel", null, false, 401, 401, 404, 403, 409, 409, 404),
                new Row("DELETE", "/v1/batches/{batch}", null, true, 401, 401, 404, 403, 204, 204, 404),
                new Row("GET", "/v1/jobs?batch={batch}", null, false, 401, 401, 403, 200, 200, 200, 200));
    }

    static Stream<Row> reads() {
        return table().filter(row -> row.method().equals("GET"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void everyCallerGetsTheStatusOfTheTable(Row row) {
        Supplier<String> finishedJob = () -> api.exchange("POST", "/v1/jobs?wait=30", "{\"task\":\"echo\",\"args\":[\"mine\"]}",
                Who.OWNER.headers()).json().get("id").asString();
        Supplier<String> finishedBatch = () -> {
            String id = api.exchange("POST", "/v1/batches", "{\"task\":\"square\",\"items\":[1,2,3]}", Who.OWNER.headers())
                    .json().get("id").asString();
            assertThat(api.exchange("GET", "/v1/batches/" + id + "/results?timeout=30", null, Who.OWNER.headers()).status())
                    .isEqualTo(200);
            return id;
        };
        String placeholder = row.path().contains("{batch}") ? "{batch}" : "{id}";
        Supplier<String> subject = placeholder.equals("{batch}") ? finishedBatch : finishedJob;
        String shared = row.freshJob() || !row.path().contains(placeholder) ? null : subject.get();
        List<String> mismatches = new ArrayList<>();
        for (Who who : Who.values()) {
            String path = !row.path().contains(placeholder) ? row.path()
                    : row.path().replace(placeholder, shared != null ? shared : subject.get());
            ApiClient.Response response = api.exchange(row.method(), path, row.body(), who.headers());
            int expected = row.expected()[who.ordinal()];
            if (response.status() != expected) {
                mismatches.add(who + " got " + response.status() + " (want " + expected + "): " + response.body());
            }
            if (response.status() >= 400) {
                assertThat(response.header("content-type")).as("%s %s as %s", row.method(), path, who)
                        .startsWith("application/problem+json");
            }
            if (response.status() == 401) {
                assertThat(response.header("WWW-Authenticate")).startsWith("Bearer");
                assertThat(response.json().get("type").asString()).isEqualTo("unauthorized");
            }
            if (response.status() == 403) {
                assertThat(response.json().get("type").asString()).isEqualTo("forbidden");
                // It names the roles that would do, so the operator knows which key to hand out.
                assertThat(response.json().get("detail").asString()).as("%s %s", row.method(), row.path())
                        .endsWith(row.path().startsWith("/v1/pool") ? ": admin"
                                : row.method().equals("GET") || row.method().equals("HEAD") ? ": admin or read" : ": admin or submit");
            }
            if (row.path().equals("/v1/pool/close") && response.status() == 200) {
                api.exchange("POST", "/v1/pool/open", null, Who.ADMIN.headers());
            }
        }
        assertThat(mismatches).as(row.toString()).isEmpty();
    }

    /** HEAD tells what GET would (ready or not, failed, how long): it needs the same role and ownership. */
    @ParameterizedTest(name = "HEAD {0}")
    @MethodSource("reads")
    void headAnswersAsGetDoes(Row row) {
        String path = row.path();
        if (path.contains("{batch}")) {
            String id = api.exchange("POST", "/v1/batches", "{\"task\":\"square\",\"items\":[1]}", Who.OWNER.headers())
                    .json().get("id").asString();
            assertThat(api.exchange("GET", "/v1/batches/" + id + "/results?timeout=30", null, Who.OWNER.headers()).status())
                    .isEqualTo(200);
            path = path.replace("{batch}", id);
        } else if (path.contains("{id}")) {
            path = path.replace("{id}", api.exchange("POST", "/v1/jobs?wait=30", "{\"task\":\"echo\",\"args\":[1]}",
                    Who.OWNER.headers()).json().get("id").asString());
        }
        List<String> mismatches = new ArrayList<>();
        for (Who who : Who.values()) {
            int status = api.outsideSpecification("HEAD", path, who.headers()).status();
            if (status != row.expected()[who.ordinal()]) {
                mismatches.add(who + " got " + status + " (want " + row.expected()[who.ordinal()] + ")");
            }
        }
        assertThat(mismatches).as("HEAD " + path).isEmpty();
    }

    /** Join and terminate act on the whole service: only the keys without {@code admin} are tried here. */
    @Test
    void poolVerbsThatWaitOrCancelNeedAdmin() {
        for (String path : List.of("/v1/pool/join?timeout=0", "/v1/pool/terminate")) {
            for (Who who : List.of(Who.NONE, Who.WRONG, Who.SUBMIT, Who.READ, Who.OWNER, Who.OTHER)) {
                ApiClient.Response response = api.exchange("POST", path, null, who.headers());
                assertThat(response.status()).as("%s as %s", path, who).isEqualTo(who.key == null || who == Who.WRONG ? 401 : 403);
                assertThat(response.header("content-type")).startsWith("application/problem+json");
            }
        }
    }

    /**
     * A method or path the pool does not have is the same 405 or 404 for every key; the pool's
     * operations stay an admin's, however their path is spelt.
     */
    @Test
    void whatThePoolDoesNotHaveIsTheSameAnswerForEveryKey() {
        for (Who who : List.of(Who.READ, Who.SUBMIT, Who.ADMIN)) {
            assertThat(send(port, "GET /v1/pool/nope HTTP/1.1" + authorization(who), null).status()).as("%s", who).isEqualTo(404);
            assertThat(send(port, "GET /v1/pool/close HTTP/1.1" + authorization(who), null).status()).as("%s", who).isEqualTo(405);
            assertThat(send(port, "DELETE /v1/pool HTTP/1.1" + authorization(who), null).status()).as("%s", who).isEqualTo(405);
        }
        assertThat(send(port, "POST /v1/pool/%63lose HTTP/1.1" + authorization(Who.READ), null).status()).isEqualTo(403);
        assertThat(send(port, "PUT /v1/pool HTTP/1.1\r\nContent-Type: application/json" + authorization(Who.SUBMIT),
                "{\"size\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8)).status()).isEqualTo(403);
        assertThat(api.exchange("GET", "/v1/pool", null, Who.ADMIN.headers()).json().get("accepting").asBoolean())
                .as("no refused request closed the pool").isTrue();
    }

    @Test
    void aJobShowsItsOwnerAndOnlyItsOwnerAndAdminsListIt() {
        String mine = submit(Who.OWNER);
        String theirs = submit(Who.OTHER);
        assertThat(api.exchange("GET", "/v1/jobs/" + mine, null, Who.OWNER.headers()).json().get("owner").asString())
                .isEqualTo("owner");
        assertThat(listedIds(Who.OWNER)).contains(mine).doesNotContain(theirs);
        assertThat(listedIds(Who.OTHER)).contains(theirs).doesNotContain(mine);
        assertThat(listedIds(Who.READ)).doesNotContain(mine, theirs);
        assertThat(listedIds(Who.ADMIN)).contains(mine, theirs);
    }

    @Test
    void anIdempotencyKeyIsScopedToItsOwner() {
        Map<String, String> owner = new LinkedHashMap<>(Who.OWNER.headers());
        owner.put("Idempotency-Key", "same-key");
        Map<String, String> other = new LinkedHashMap<>(Who.OTHER.headers());
        other.put("Idempotency-Key", "same-key");
        String body = "{\"task\":\"echo\",\"args\":[\"idem\"]}";
        String first = api.exchange("POST", "/v1/jobs", body, owner).json().get("id").asString();
        String again = api.exchange("POST", "/v1/jobs", body, owner).json().get("id").asString();
        String others = api.exchange("POST", "/v1/jobs", body, other).json().get("id").asString();
        assertThat(again).isEqualTo(first);
        assertThat(others).as("another key's job with the same Idempotency-Key is its own").isNotEqualTo(first);

        // A batch under the same key is neither of those jobs: batches have keys of their own, per owner too.
        String batchBody = "{\"task\":\"echo\",\"items\":[\"idem\"]}";
        ApiClient.Response batch = api.exchange("POST", "/v1/batches", batchBody, owner);
        assertThat(batch.status()).isIn(200, 202);
        String firstBatch = batch.json().get("id").asString();
        assertThat(api.exchange("POST", "/v1/batches", batchBody, owner).json().get("id").asString()).isEqualTo(firstBatch);
        String othersBatch = api.exchange("POST", "/v1/batches", batchBody, other).json().get("id").asString();
        assertThat(othersBatch).isNotEqualTo(firstBatch);
        assertThat(api.exchange("GET", "/v1/batches/" + othersBatch, null, Who.OTHER.headers()).status()).isEqualTo(200);
    }

    @Test
    void thePoolSaysKeysAreEnforced() {
        JsonNode pool = api.exchange("GET", "/v1/pool", null, Who.ADMIN.headers()).json();
        assertThat(pool.get("authentication").asString()).isEqualTo("api-keys");
    }

    @Test
    void theSchemeOfTheHeaderIsCaseInsensitiveAndAnythingElseIsRefused() {
        assertThat(api.exchange("GET", "/v1/tasks", null, Map.of("Authorization", "bearer " + Who.READ.key)).status())
                .isEqualTo(200);
        for (String header : List.of("Basic " + Who.READ.key, Who.READ.key, "Bearer", "Bearer " + Who.READ.key + "x",
                "Bearer " + "k".repeat(5000))) {
            ApiClient.Response response = api.exchange("GET", "/v1/tasks", null, Map.of("Authorization", header));
            assertThat(response.status()).as(header).isEqualTo(401);
        }
    }

    @Test
    void aKeyMayHoldOnlySoManyLongPollsAtOnce() throws Exception {
        String sleeping = ownersId("/v1/jobs", "{\"task\":\"sleep\",\"args\":[60]}");
        String batch = ownersId("/v1/batches", "{\"task\":\"echo\",\"items\":[1],\"delaySeconds\":3600}");
        List<CompletableFuture<ApiClient.Response>> waits = new ArrayList<>();
        // Threads of their own: the common pool may run one task at a time on a small machine.
        var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
        try {
            // Three waits against an allowance of two: exactly one is refused at once.
            for (int i = 0; i < 3; i++) {
                waits.add(CompletableFuture.supplyAsync(
                        () -> api.exchange("GET", "/v1/jobs/" + sleeping + "?wait=60", null, Who.OWNER.headers()), threads));
            }
            CompletableFuture.anyOf(waits.toArray(CompletableFuture[]::new)).get(60, java.util.concurrent.TimeUnit.SECONDS);
            List<CompletableFuture<ApiClient.Response>> refused = waits.stream().filter(CompletableFuture::isDone).toList();
            assertThat(refused).hasSize(1);
            ApiClient.Response first = refused.getFirst().join();
            assertThat(first.status()).isEqualTo(429);
            assertThat(first.json().get("type").asString()).isEqualTo("too-many-waits");
            assertThat(first.header("Retry-After")).isNotNull();
            // The other two still wait, so any further wait of this key is refused, on every endpoint.
            assertThat(api.exchange("GET", "/v1/jobs/" + sleeping + "/result?timeout=20", null, Who.OWNER.headers()).status())
                    .isEqualTo(429);
            assertThat(api.exchange("GET", "/v1/jobs/" + sleeping + "?wait=20", null, Who.OWNER.headers()).status())
                    .isEqualTo(429);
            ApiClient.Response batchWait = api.exchange("GET", "/v1/batches/" + batch + "/results?timeout=20", null,
                    Who.OWNER.headers());
            assertThat(batchWait.status()).isEqualTo(429);
            assertThat(batchWait.header("Retry-After")).isNotNull();
            // Another key has its own allowance.
            assertThat(api.exchange("GET", "/v1/jobs/" + sleeping + "?wait=0.1", null, Who.ADMIN.headers()).status())
                    .isEqualTo(200);
        } finally {
            api.exchange("POST", "/v1/jobs/" + sleeping + "/cancel", null, Who.OWNER.headers());
            api.exchange("POST", "/v1/batches/" + batch + "/cancel", null, Who.OWNER.headers());
            threads.shutdown();
        }
        for (CompletableFuture<ApiClient.Response> wait : waits) {
            assertThat(wait.get().status()).isIn(200, 429);
        }
        assertThat(api.exchange("GET", "/v1/jobs/" + sleeping + "?wait=1", null, Who.OWNER.headers()).status())
                .as("the permits are returned once the waits answered").isEqualTo(200);
    }

    /**
     * A client that hangs up while it waits gives its place back within seconds: it held it for the
     * whole wait (a stream: until its batch ended), and a few impatient clients locked their key out.
     */
    @Test
    void aWaitWhoseClientHungUpGivesItsPlaceBack() throws Exception {
        String sleeping = ownersId("/v1/jobs", "{\"task\":\"sleep\",\"args\":[60]}");
        String batch = ownersId("/v1/batches", "{\"task\":\"echo\",\"items\":[1],\"delaySeconds\":3600}");
        String probe = "/v1/jobs/" + sleeping + "?wait=0.1";
        List<java.net.Socket> hungUp = new ArrayList<>();
        try {
            // Each wait is seen holding its place before the next is sent: a probe (itself a wait)
            // racing them could take the second place and have one of them refused.
            java.net.Socket stream = waitingRequest("GET /v1/batches/" + batch + "/results?timeout=60", "application/x-ndjson", null);
            hungUp.add(stream);
            assertThat(new String(stream.getInputStream().readNBytes(12), java.nio.charset.StandardCharsets.US_ASCII))
                    .as("the stream under way").isEqualTo("HTTP/1.1 200");
            hungUp.add(waitingRequest("POST /v1/jobs?wait=60", "application/json", "{\"task\":\"sleep\",\"args\":[59.5]}"));
            io.jobpool.testing.Await.until("the submission that waits stored", java.time.Duration.ofSeconds(20),
                    () -> api.exchange("GET", "/v1/jobs?task=sleep&limit=1000", null, Who.OWNER.headers()).json().get("items")
                            .findValues("args").stream().anyMatch(args -> args.get(0).asDouble() == 59.5));
            assertThat(api.exchange("GET", probe, null, Who.OWNER.headers()).status()).as("both places held").isEqualTo(429);
            for (java.net.Socket socket : hungUp) {
                socket.close();
            }
            io.jobpool.testing.Await.until("the places given back", java.time.Duration.ofSeconds(10),
                    () -> api.exchange("GET", probe, null, Who.OWNER.headers()).status() == 200);
            ApiClient.Response stillWaits = api.exchange("GET", "/v1/jobs/" + sleeping + "?wait=2", null, Who.OWNER.headers());
            assertThat(stillWaits.status()).isEqualTo(200);
            assertThat(stillWaits.json().get("status").asString()).as("a client that stays is not cut short").isEqualTo("RUNNING");
        } finally {
            for (java.net.Socket socket : hungUp) {
                socket.close();
            }
            api.exchange("POST", "/v1/jobs/" + sleeping + "/cancel", null, Who.OWNER.headers());
            api.exchange("POST", "/v1/batches/" + batch + "/cancel", null, Who.OWNER.headers());
            for (JsonNode job : api.exchange("GET", "/v1/jobs?task=sleep&limit=1000", null, Who.OWNER.headers()).json().get("items")) {
                if (!job.get("ready").asBoolean()) {
                    api.exchange("POST", "/v1/jobs/" + job.get("id").asString() + "/cancel", null, Who.OWNER.headers());
                }
            }
        }
    }

    /** The id of what the owner's key submits: a job that stays unfinished or a batch, to wait for. */
    private String ownersId(String path, String body) {
        return api.exchange("POST", path, body, Who.OWNER.headers()).json().get("id").asString();
    }

    /**
     * A join whose client hung up gives its place back within seconds also while other jobs keep
     * finishing: each finish woke it, it never reached its check of the client, and it held the
     * place until the queue drained.
     */
    @Test
    void aJoinWhoseClientHungUpGivesItsPlaceBackWhileJobsKeepFinishing() throws Exception {
        String items = String.join(",", java.util.Collections.nCopies(1000, "0.02"));
        String batch = api.exchange("POST", "/v1/batches", "{\"task\":\"sleep\",\"items\":[" + items + "],\"chunksize\":1}",
                Who.ADMIN.headers()).json().get("id").asString();
        List<java.net.Socket> hungUp = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                java.net.Socket join = waitingRequest(Who.ADMIN, "POST /v1/pool/join?timeout=60", "application/json", null);
                hungUp.add(join);
                // No answer within a second: it waits, holding its place (a refusal would come at once).
                join.setSoTimeout(1000);
                assertThatThrownBy(() -> join.getInputStream().read()).isInstanceOf(java.net.SocketTimeoutException.class);
            }
            String probe = "/v1/pool/join?timeout=0.1";
            assertThat(api.exchange("POST", probe, null, Who.ADMIN.headers()).status()).as("both places held").isEqualTo(429);
            for (java.net.Socket socket : hungUp) {
                socket.close();
            }
            io.jobpool.testing.Await.until("the places given back while the batch still runs", java.time.Duration.ofSeconds(5),
                    () -> api.exchange("POST", probe, null, Who.ADMIN.headers()).status() == 202);
            assertThat(api.exchange("GET", "/v1/batches/" + batch, null, Who.ADMIN.headers()).json().get("ready").asBoolean())
                    .as("jobs were still finishing meanwhile").isFalse();
        } finally {
            for (java.net.Socket socket : hungUp) {
                socket.close();
            }
            api.exchange("POST", "/v1/batches/" + batch + "/cancel", null, Who.ADMIN.headers());
        }
    }

    /** A request of the owner's on a connection of its own, which the caller closes without reading the answer. */
    private java.net.Socket waitingRequest(String requestLine, String accept, String json) throws java.io.IOException {
        return waitingRequest(Who.OWNER, requestLine, accept, json);
    }

    /** A request of {@code who} on a connection of its own, which the caller closes without reading the answer. */
    private java.net.Socket waitingRequest(Who who, String requestLine, String accept, String json) throws java.io.IOException {
        byte[] body = json == null ? new byte[0] : json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.net.Socket socket = new java.net.Socket("127.0.0.1", port);
        socket.getOutputStream().write((requestLine + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: " + accept
                + "\r\nAuthorization: Bearer " + who.key
                + (json == null ? "" : "\r\nContent-Type: application/json\r\nContent-Length: " + body.length)
                + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        socket.getOutputStream().write(body);
        socket.getOutputStream().flush();
        return socket;
    }

    /** join() waits like any long poll: an admin key that holds its allowance gets 429, not a 300 s hold. */
    @Test
    void aWaitingJoinCountsAsALongPoll() throws Exception {
        String sleeping = api.exchange("POST", "/v1/jobs", "{\"task\":\"sleep\",\"args\":[60]}", Who.ADMIN.headers())
                .json().get("id").asString();
        var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
        List<CompletableFuture<ApiClient.Response>> joins = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                joins.add(CompletableFuture.supplyAsync(
                        () -> api.exchange("POST", "/v1/pool/join?timeout=20", null, Who.ADMIN.headers()), threads));
            }
            CompletableFuture.anyOf(joins.toArray(CompletableFuture[]::new)).get(60, java.util.concurrent.TimeUnit.SECONDS);
            List<ApiClient.Response> answered = joins.stream().filter(CompletableFuture::isDone).map(CompletableFuture::join).toList();
            assertThat(answered).hasSize(1);
            assertThat(answered.getFirst().status()).isEqualTo(429);
            assertThat(answered.getFirst().json().get("type").asString()).isEqualTo("too-many-waits");
            // A join that does not wait takes no permit.
            assertThat(api.exchange("POST", "/v1/pool/join?timeout=0", null, Who.ADMIN.headers()).status()).isEqualTo(202);
        } finally {
            api.exchange("POST", "/v1/jobs/" + sleeping + "/cancel", null, Who.ADMIN.headers());
            threads.shutdown();
        }
        for (CompletableFuture<ApiClient.Response> join : joins) {
            // 200 once nothing runs; 202 if another test's job still does after the timeout.
            assertThat(join.get().status()).isIn(200, 202, 429);
        }
    }

    private String submit(Who who) {
        return api.exchange("POST", "/v1/jobs", "{\"task\":\"echo\",\"args\":[\"" + who + "\"]}", who.headers())
                .json().get("id").asString();
    }

    private List<String> listedIds(Who who) {
        JsonNode page = api.exchange("GET", "/v1/jobs?limit=1000", null, who.headers()).json();
        List<String> ids = new ArrayList<>();
        page.get("items").forEach(job -> ids.add(job.get("id").asString()));
        return ids;
    }

    /**
     * Who may not submit learns nothing of the size limit: no key or a wrong one is 401, a key
     * without the role 403, and only a key that may submit gets the 413 (above the default 2 MB
     * bound, and above what the container drains of an unread body).
     */
    @Test
    void anOversizeBodyIsRefusedForItsCallerBeforeItsSize() {
        byte[] big = ("{\"task\":\"echo\",\"args\":[\"" + "x".repeat(2_100_000) + "\"]}").getBytes(StandardCharsets.UTF_8);
        Map<Who, Integer> expected = new LinkedHashMap<>();
        expected.put(Who.NONE, 401);
        expected.put(Who.WRONG, 401);
        expected.put(Who.READ, 403);
        expected.put(Who.OWNER, 413);
        expected.forEach((who, status) -> {
            RawHttp.Response response = send(port, "POST /v1/jobs HTTP/1.1\r\nContent-Type: application/json" + authorization(who), big);
            assertThat(response.status()).as("%s: %s", who, response.text()).isEqualTo(status);
            assertThat(response.contentType()).startsWith("application/problem+json");
            if (status != 413) {
                assertThat(response.text()).as("%s learns no limit", who).doesNotContain("payload-too-large", "2097152");
            }
        });
    }

    /**
     * RFC 9110 allows one Authorization field: with two, a proxy that checks one and a service that
     * takes the other could disagree on the caller, so the request is refused whatever the order.
     */
    @Test
    void twoAuthorizationHeadersAreRefusedWhateverTheirOrder() {
        for (List<String> keys : List.of(List.of(Who.READ.key, "nope"), List.of("nope", Who.READ.key), List.of(Who.READ.key, Who.READ.key))) {
            RawHttp.Response response = send(port, "GET /v1/tasks HTTP/1.1\r\nAuthorization: Bearer " + keys.get(0)
                    + "\r\nAuthorization: Bearer " + keys.get(1), null);
            assertThat(response.status()).as("%s", keys).isEqualTo(401);
            assertThat(response.headers().get("www-authenticate")).startsWith("Bearer");
            JsonNode problem = ApiClient.JSON.readTree(response.text());
            assertThat(problem.get("type").asString()).isEqualTo("unauthorized");
            assertThat(problem.get("detail").asString()).contains("more than one Authorization header");
        }
        assertThat(send(port, "GET /v1/tasks HTTP/1.1" + authorization(Who.READ), null).status()).as("one header still works")
                .isEqualTo(200);
    }

    /**
     * A key with bytes no key has is a wrong credential, 401 like any other: the UTF-8 of '€' (E2 82
     * AC) holds 0x82, a control character read as Latin-1, which the request firewall refused as 400.
     */
    @Test
    void anAuthorizationHeaderWithBytesNoKeyHasIsUnauthorized() {
        for (String key : List.of("\u00e2\u0082\u00ac", "\u00e9\u00e8\u00ff", "abc\u0085def")) {
            RawHttp.Response response = send(port, "GET /v1/tasks HTTP/1.1\r\nAuthorization: Bearer " + key, null);
            assertThat(response.status()).as(key).isEqualTo(401);
            assertThat(response.headers().get("www-authenticate")).startsWith("Bearer");
            assertThat(ApiClient.JSON.readTree(response.text()).get("type").asString()).isEqualTo("unauthorized");
        }
    }

    /** The management port serves only the actuator: any other path is a 404 with a valid key, whatever its roles. */
    @Test
    void theManagementPortAnswersOtherPaths404WithAnyValidKey() {
        for (String path : List.of("/v1/pool", "/v1/jobs", "/v1/tasks", "/actuator/env", "/nothing")) {
            for (Who who : Who.values()) {
                RawHttp.Response response = send(managementPort, "GET " + path + " HTTP/1.1" + authorization(who), null);
                assertThat(response.status()).as("%s as %s: %s", path, who, response.text())
                        .isEqualTo(who == Who.NONE || who == Who.WRONG ? 401 : 404);
                assertThat(response.contentType()).startsWith("application/problem+json");
            }
        }
        assertThat(send(managementPort, "GET /actuator/health/liveness HTTP/1.1", null).status()).as("probes need no key").isEqualTo(200);
    }

    private static String authorization(Who who) {
        return who.key == null ? "" : "\r\nAuthorization: Bearer " + who.key;
    }

    private static RawHttp.Response send(int port, String head, byte[] body) {
        try {
            return RawHttp.send(port, head, body);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
