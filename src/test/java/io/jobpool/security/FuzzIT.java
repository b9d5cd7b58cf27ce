package io.jobpool.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import io.jobpool.testing.RawHttp;
import io.jobpool.testing.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A seeded fuzzer against the built jar with API keys enforced: 10,000 random and malformed
 * requests over every endpoint, method, content type, path and query parameter and header. Not
 * one may be answered with a 5xx, every error must be a problem detail, the service must stay
 * ready, the jobs submitted before must all complete, and the heap must stay bounded.
 *
 * <p>Run again with the printed seed: {@code -Djobpool.fuzz.seed=N}; request {@code i} is made
 * from {@code new Random(seed + i)} alone, so one failing request can be replayed by itself.
 */
class FuzzIT {

    private static final int REQUESTS = Integer.getInteger("jobpool.fuzz.requests", 10_000);
    private static final int THREADS = 4;
    private static final long MAX_HEAP_AFTER_GC = 128L * 1024 * 1024;

    private static final String KEEPER_KEY = "fuzz-keeper-" + UUID.randomUUID();
    private static final String CI_KEY = "fuzz-ci-" + UUID.randomUUID();
    private static final String READER_KEY = "fuzz-reader-" + UUID.randomUUID();
    private static final String ADMIN_KEY = "fuzz-admin-" + UUID.randomUUID();

    private static ServerProcess server;

    @BeforeAll
    static void start() throws IOException {
        List<String> options = new ArrayList<>(List.of("-Xmx256m"));
        String[][] keys = {{"keeper", KEEPER_KEY, "submit,read"}, {"ci", CI_KEY, "submit,read"}, {"reader", READER_KEY, "read"},
                {"admin", ADMIN_KEY, "admin"}};
        for (int i = 0; i < keys.length; i++) {
            options.add("-Djobpool.security.api-keys[" + i + "].name=" + keys[i][0]);
            options.add("-Djobpool.security.api-keys[" + i + "].sha256=" + AuthMatrixTest.sha256(keys[i][1]));
            options.add("-Djobpool.security.api-keys[" + i + "].roles=" + keys[i][2]);
        }
        server = ServerProcess.start(Path.of("target", "it-data", "fuzz-" + System.nanoTime()),
                Map.of("JOBPOOL_POOL_SIZE", "2", "JOBPOOL_SECURITY_MAX_LONG_POLLS_PER_KEY", "50"), options,
                Duration.ofSeconds(300));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void tenThousandHostileRequestsGetNo5xxAndTheServiceKeepsWorking() throws Exception {
        long seed = Long.getLong("jobpool.fuzz.seed", System.nanoTime());
        System.out.println("FuzzIT seed " + seed + " (-Djobpool.fuzz.seed=" + seed + ")");
        ApiClient api = new ApiClient(server.port());
        Map<String, String> keeper = Map.of("Authorization", "Bearer " + KEEPER_KEY);
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            kept.add(api.exchange("POST", "/v1/jobs", "{\"task\":\"sleep\",\"args\":[0.2],\"priority\":100}", keeper)
                    .json().get("id").asString());
        }
        List<String> ciJobs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ciJobs.add(api.exchange("POST", "/v1/jobs", "{\"task\":\"echo\",\"args\":[" + i + "]}",
                    Map.of("Authorization", "Bearer " + CI_KEY)).json().get("id").asString());
        }
        Generator generator = new Generator(kept, ciJobs);

        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        AtomicLong maxHeap = new AtomicLong();
        AtomicLong sent = new AtomicLong();
        ExecutorService threads = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                running.add(threads.submit(() -> {
                    for (int i = thread; i < REQUESTS && failures.size() < 20; i += THREADS) {
                        Generator.Request request = generator.request(new Random(seed + i));
                        String problem = check(request);
                        if (problem != null) {
                            failures.add("request " + i + " (seed " + seed + "): " + request + " -> " + problem);
                        }
                        if (sent.incrementAndGet() % 1000 == 0) {
                            maxHeap.accumulateAndGet(heapUsed(), Math::max);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> thread : running) {
                thread.get();
            }
        } finally {
            threads.shutdownNow();
        }
        System.out.println("FuzzIT sent " + sent.get() + " requests; largest heap sampled " + maxHeap.get() / (1024 * 1024) + " MB");

        assertThat(failures).as("fuzz failures, seed " + seed).isEmpty();
        assertThat(sent.get()).isEqualTo(REQUESTS);
        assertThat(readiness()).as("the service is still ready").isEqualTo(200);
        for (String id : kept) {
            String status = Await.until("job " + id + " submitted before the fuzzing finished", Duration.ofSeconds(120),
                    () -> api.exchange("GET", "/v1/jobs/" + id, null, keeper).json().get("status").asString(),
                    s -> !s.equals("QUEUED") && !s.equals("RUNNING"));
            assertThat(status).as(id).isEqualTo("SUCCEEDED");
        }
        long heapAfterGc = heapAfterGc();
        System.out.println("FuzzIT heap after a full GC: " + heapAfterGc / (1024 * 1024) + " MB");
        assertThat(heapAfterGc).as("heap in use after the fuzzing and a full GC").isLessThan(MAX_HEAP_AFTER_GC);
        assertThat(server.log()).doesNotContain("OutOfMemoryError");
    }

    /** What is wrong with the answer to {@code request}, or {@code null}. */
    private static String check(Generator.Request request) {
        RawHttp.Response response;
        try {
            response = RawHttp.send(server.port(), request.head(), request.body(), 60_000);
        } catch (IOException | RuntimeException e) {
            // A connection closed without an HTTP/1.1 answer: only acceptable for bytes that are no
            // HTTP/1.1 request at all.
            return request.malformedHead() ? null : "no response: " + e;
        }
        if (response.status() >= 500) {
            return response.status() + " " + response.text();
        }
        if (response.status() >= 400 && !request.head().startsWith("HEAD ")
                && !response.contentType().startsWith("application/problem+json")) {
            return response.status() + " is not a problem detail: " + response.contentType() + " " + response.text();
        }
        return null;
    }

    private static int readiness() throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.managementPort()
                + "/actuator/health/readiness")).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static long heapUsed() {
        try {
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + server.managementPort() + "/actuator/prometheus")).build(), HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = Pattern.compile("(?m)^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*} ([0-9.eE+]+)").matcher(metrics);
            double total = 0;
            while (m.find()) {
                total += Double.parseDouble(m.group(1));
            }
            return (long) total;
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    private static long heapAfterGc() throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process gc = new ProcessBuilder(jcmd.toString(), Long.toString(server.pid()), "GC.run").redirectErrorStream(true).start();
        gc.getInputStream().readAllBytes();
        assertThat(gc.waitFor()).as("jcmd GC.run").isZero();
        return heapUsed();
    }

    /** Makes one request from a random source; the same source always makes the same request. */
    static final class Generator {

        record Request(String head, byte[] body, boolean malformedHead) {
            @Override
            public String toString() {
                String text = head.replace("\r\n", " | ");
                String b = body == null ? "" : new String(body, 0, Math.min(body.length, 300), StandardCharsets.ISO_8859_1);
                return (text.length() > 400 ? text.substring(0, 400) + "..." : text) + " || " + b
                        + (body != null && body.length > 300 ? "... (" + body.length + " bytes)" : "");
            }
        }

        private static final String[] METHODS = {"GET", "GET", "GET", "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "HEAD",
                "OPTIONS", "TRACE", "get", "BREW", "CONNECT"};
        private static final String[] SUFFIXES = {"", "/ready", "/successful", "/result", "/cancel", "/logs", "/deliveries",
                "/deliveries/" + UUID.randomUUID() + "/retry", "/deliveries/x/retry", "/nothing"};
        private static final String[] FIXED_PATHS = {"/v1/jobs", "/v1/jobs", "/v1/jobs/", "/v1/tasks", "/v1/pool", "/v1/pool/close",
                "/v1/pool/open", "/v1/batches", "/v1/batches/" + UUID.randomUUID(), "/error", "/", "/actuator/health",
                "/actuator/env", "/v1", "/v2/jobs", "/v1/jobs/../pool", "/v1/jobs/%2e%2e/pool", "/v1//jobs", "/v1/jobs;x=1",
                "/v1/jobs/%00", "/%ff", "/v1/jobs/%zz", "/v1/jobs/\u00e9", "/v1/jobs?"};
        private static final String[] CONTENT_TYPES = {"application/json", "application/json", "application/json; charset=utf-8",
                "application/json; charset=latin1", "application/problem+json", "text/plain", "multipart/form-data",
                "multipart/form-data; boundary=xyz", "application/x-www-form-urlencoded", "application/xml", "*/*", "garbage",
                "", "application/json; charset=nope", "application/x-ndjson"};
        private static final String[] ACCEPTS = {"*/*", "application/json", "text/html", "application/problem+json",
                "application/x-ndjson", "text/plain", "image/png", "garbage/", ";;;", "application/json;q=0"};
        private static final String[] PARAMETERS = {"wait", "timeout", "limit", "cursor", "status", "task", "batch", "x", "size"};
        private static final String[] VALUES = {"0", "1", "0.5", "-1", "2", "1e308", "NaN", "Infinity", "abc", "", "%zz", "%ff%fe",
                "%e2%82%ac", "1000", "1001", "99999999999999999999", "queued", "SUCCEEDED", "echo", "%00", "true", "0x10",
                "AAAA", "MDFhMWZkNzQtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAw", "%2B", "+", "a%20b"};
        private static final String[] TASKS = {"echo", "square", "add", "sha256", "fail", "print", "no-such-task", "", "ECHO"};

        private final List<String> kept;
        private final List<String> own;

        Generator(List<String> kept, List<String> own) {
            this.kept = kept;
            this.own = own;
        }

        Request request(Random r) {
            if (r.nextInt(100) == 0) {
                return garbage(r);
            }
            String method = pick(r, METHODS);
            String path = path(r, method);
            // A control character in the request line makes it no HTTP/1.1 request: Tomcat may
            // answer it the HTTP/0.9 way, a body without status line.
            boolean malformed = path.chars().anyMatch(c -> c < 0x20 || c == 0x7f);
            StringBuilder head = new StringBuilder(method).append(' ').append(path).append(query(r)).append(" HTTP/1.1");
            head.append("\r\nAuthorization: ").append(authorization(r, method, path));
            byte[] body = null;
            if (r.nextInt(10) < 7 && !method.equals("GET") || r.nextInt(20) == 0) {
                body = body(r);
            }
            if (body != null || r.nextInt(10) == 0) {
                String type = pick(r, CONTENT_TYPES);
                head.append("\r\nContent-Type: ").append(type);
            }
            if (r.nextInt(3) == 0) {
                head.append("\r\nAccept: ").append(pick(r, ACCEPTS));
            }
            if (r.nextInt(8) == 0) {
                head.append("\r\nIdempotency-Key: ").append(r.nextBoolean() ? "k" + r.nextInt(5) : oneLine(text(r, r.nextInt(12_000))));
            }
            if (r.nextInt(30) == 0) {
                head.append("\r\nExpect: ").append(r.nextBoolean() ? "100-continue" : "200-ok");
            }
            if (r.nextInt(40) == 0) {
                head.append("\r\nX-Big: ").append("h".repeat(r.nextInt(30_000)));
            }
            if (r.nextInt(40) == 0) {
                head.append("\r\nAccept-Charset: ").append(oneLine(text(r, 20)));
            }
            return new Request(head.toString(), body, malformed);
        }

        private String authorization(Random r, String method, String path) {
            return switch (r.nextInt(8)) {
                case 0 -> "Bearer " + CI_KEY;
                case 1, 2 -> "Bearer " + CI_KEY;
                case 3 -> "Bearer " + READER_KEY;
                // The admin key only reads: closing or resizing the pool would stop the kept jobs.
                case 4 -> method.equals("GET") ? "Bearer " + ADMIN_KEY : "Bearer " + CI_KEY;
                case 5 -> "Bearer wrong-" + r.nextInt();
                case 6 -> pick(r, new String[] {"Basic YTpi", "Bearer", "bearer " + CI_KEY, "Bearer " + "x".repeat(3000), ""});
                default -> "Bearer " + CI_KEY + (r.nextBoolean() ? "" : " ");
            };
        }

        private String path(Random r, String method) {
            if (r.nextInt(4) == 0) {
                return pick(r, FIXED_PATHS);
            }
            String id = switch (r.nextInt(8)) {
                // The kept jobs are read only by other keys (404s); the fuzzer's own are changed too.
                case 0, 1 -> kept.get(r.nextInt(kept.size()));
                case 2, 3 -> own.get(r.nextInt(own.size()));
                case 4 -> UUID.randomUUID().toString();
                case 5 -> pick(r, new String[] {"x", "%zz", "%ff", "..", "%2e%2e", "a".repeat(5000), "%e2%82%ac", "%00", "null", "-1"});
                case 6 -> oneLine(text(r, r.nextInt(40))).replace(" ", "%20").replace("?", "%3F").replace("#", "%23").replace("/", "%2F");
                default -> "01a1fd74-0000-7000-8000-00000000000" + r.nextInt(10);
            };
            return "/v1/jobs/" + id + pick(r, SUFFIXES);
        }

        private String query(Random r) {
            int count = r.nextInt(10) == 0 ? r.nextInt(60) : r.nextInt(3);
            if (count == 0) {
                return r.nextInt(20) == 0 ? "?" : "";
            }
            StringBuilder query = new StringBuilder("?");
            for (int i = 0; i < count; i++) {
                if (i > 0) {
                    query.append(r.nextInt(20) == 0 ? "&&" : "&");
                }
                String name = r.nextInt(20) == 0 ? "" : pick(r, PARAMETERS);
                query.append(name);
                if (r.nextInt(10) > 0) {
                    query.append('=').append(pick(r, VALUES));
                }
            }
            return query.toString();
        }

        private byte[] body(Random r) {
            String text = switch (r.nextInt(14)) {
                case 0, 1, 2 -> submission(r);
                case 3 -> mutate(r, submission(r));
                case 4 -> "{\"size\":" + pick(r, VALUES) + "}";
                case 5 -> "[".repeat(r.nextInt(3000)) + "]".repeat(r.nextInt(3000));
                case 6 -> "{\"task\":\"echo\",\"args\":[" + "9".repeat(r.nextInt(20_000)) + "]}";
                case 7 -> "{\"task\":\"echo\",\"args\":[" + pick(r, new String[] {"NaN", "Infinity", "-Infinity", "1e999999", "01",
                        "0x1F", ".5", "1.", "true", "null", "\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\\u0000\""}) + "]}";
                case 8 -> "{\"task\":\"" + text(r, r.nextInt(20_000)) + "\"}";
                case 9 -> null;
                case 10 -> "{\"task\":\"echo\",\"callbackUrl\":\"http://" + "a".repeat(r.nextInt(4000)) + ".example\"}";
                case 11 -> "{\"task\":\"echo\",\"args\":[\"" + "x".repeat(r.nextInt(20) == 0 ? 2_200_000 : r.nextInt(40_000)) + "\"]}";
                case 12 -> "{\"items\":[1,2,3],\"task\":\"echo\",\"chunksize\":" + pick(r, VALUES) + "}";
                default -> "";
            };
            if (text == null) {
                byte[] random = new byte[r.nextInt(2000)];
                r.nextBytes(random);
                return random;
            }
            return text.getBytes(r.nextInt(10) == 0 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
        }

        private String submission(Random r) {
            StringBuilder json = new StringBuilder("{\"task\":\"").append(pick(r, TASKS)).append('"');
            if (r.nextBoolean()) {
                json.append(",\"args\":[").append(r.nextInt(100)).append(',').append(jsonString(text(r, r.nextInt(30)))).append(']');
            }
            if (r.nextInt(4) == 0) {
                json.append(",\"kwargs\":{").append(jsonString(text(r, 8))).append(":").append(r.nextDouble()).append('}');
            }
            String[] options = {"timeoutSeconds", "priority", "delaySeconds", "maxRetries", "callbackUrl", "errorCallbackUrl",
                    "unknownField"};
            for (String option : options) {
                if (r.nextInt(6) == 0) {
                    json.append(",\"").append(option).append("\":").append(optionValue(r, option));
                }
            }
            return json.append('}').toString();
        }

        private String optionValue(Random r, String option) {
            return switch (r.nextInt(6)) {
                case 0 -> "-1";
                case 1 -> "\"" + text(r, 10).replace("\\", "").replace("\"", "") + "\"";
                case 2 -> "1e30";
                case 3 -> "null";
                case 4 -> option.endsWith("Url") ? "\"https://example.com/hook\"" : "1";
                default -> option.equals("delaySeconds") ? "0" : Integer.toString(r.nextInt(10));
            };
        }

        private static final String INSERTS = "{}[]\",:\\0n-e";

        private static String mutate(Random r, String json) {
            StringBuilder mutated = new StringBuilder(json);
            for (int i = 0, n = 1 + r.nextInt(4); i < n && !mutated.isEmpty(); i++) {
                int at = r.nextInt(mutated.length());
                switch (r.nextInt(3)) {
                    case 0 -> mutated.deleteCharAt(at);
                    case 1 -> mutated.insert(at, INSERTS.charAt(r.nextInt(INSERTS.length())));
                    default -> mutated.setLength(at);
                }
            }
            return mutated.toString();
        }

        private static Request garbage(Random r) {
            String head = switch (r.nextInt(5)) {
                case 0 -> "GET /v1/jobs HTTP/9.9";
                case 1 -> "GET /v1/jobs";
                case 2 -> "GET  /v1/jobs  HTTP/1.1";
                case 3 -> "G\u00e9T /v1/jobs HTTP/1.1";
                default -> "GET /v1/jobs HTTP/1.1\r\nBroken header line\r\n: empty";
            };
            return new Request(head, null, true);
        }

        /** Header values and request targets stay on their line: a CR or LF would end the head early. */
        private static String oneLine(String text) {
            return text.replace('\r', '_').replace('\n', '_');
        }

        private static String jsonString(String text) {
            return ApiClient.JSON.writeValueAsString(text);
        }

        /** Random text: ASCII, Latin-1, other scripts, emoji, control characters. */
        private static String text(Random r, int length) {
            StringBuilder text = new StringBuilder(length);
            for (int i = 0; i < length; i++) {
                switch (r.nextInt(6)) {
                    case 0 -> text.append((char) (0x20 + r.nextInt(0x5f)));
                    case 1 -> text.append((char) ('a' + r.nextInt(26)));
                    case 2 -> text.append((char) (0xa0 + r.nextInt(0x60)));
                    case 3 -> text.append((char) (0x400 + r.nextInt(0x100)));
                    case 4 -> text.appendCodePoint(0x1f600 + r.nextInt(0x40));
                    default -> text.append((char) r.nextInt(0x20));
                }
            }
            return text.toString();
        }

        private static String pick(Random r, String[] values) {
            return values[r.nextInt(values.length)];
        }
    }
}
