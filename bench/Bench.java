import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * jobpool's benchmark: starts the built jar on a fresh data directory and reports
 *   1. noop jobs/s end to end (submit to finished) with 32 concurrent HTTP clients,
 *   2. sync round trip (POST /v1/jobs?wait=) p50 / p99 from one client,
 *   3. worker spawn-to-ready time (the jobpool_worker_startup_seconds metric),
 *   4. idle worker resident memory (RSS and, on Linux, PSS).
 *
 * Run: java bench/Bench.java [jar] [jobs]   (Java 25; bench/run.sh builds the jar and runs this)
 * Only 127.0.0.1 is contacted; every loop is bounded in count and time.
 */
public class Bench {

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");

    public static void main(String[] args) throws Exception {
        String jar = args.length > 0 ? args[0] : "target/jobpool-0.1.0-SNAPSHOT.jar";
        int jobs = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        int port = freePort();
        int management = freePort();
        Path data = Files.createTempDirectory("jobpool-bench");
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        // e.g. -Dbench.server-options=-XX:StartFlightRecording=filename=/tmp/server.jfr to profile the server
        String serverOptions = System.getProperty("bench.server-options", "");
        if (!serverOptions.isBlank()) {
            command.addAll(List.of(serverOptions.trim().split("\\s+")));
        }
        command.addAll(List.of("-jar", jar));
        ProcessBuilder server = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(data.resolve("server.log").toFile());
        server.environment().put("SERVER_PORT", Integer.toString(port));
        server.environment().put("MANAGEMENT_SERVER_PORT", Integer.toString(management));
        server.environment().put("JOBPOOL_DATA_DIR", data.toString());
        server.environment().put("JOBPOOL_QUEUE_CAPACITY", Integer.toString(jobs * 2));
        server.environment().put("JOBPOOL_POOL_PREFETCH", System.getProperty("bench.prefetch", "0"));
        if (System.getProperty("bench.datasource-url") != null) {
            server.environment().put("SPRING_DATASOURCE_URL", System.getProperty("bench.datasource-url").replace("DATA", data.toString()));
        }
        Process process = server.start();
        try {
            String base = "http://127.0.0.1:" + port;
            awaitReady("http://127.0.0.1:" + management + "/actuator/health/readiness", Duration.ofSeconds(60));
            warmUp(base);
            throughput(base, jobs);
            roundTrip(base, 2_000);
            // Give the background AOT training of the worker class cache time to finish first.
            awaitAotCache(data, Duration.ofSeconds(60));
            String metrics = get("http://127.0.0.1:" + management + "/actuator/prometheus");
            spawn(base, metrics, "http://127.0.0.1:" + management + "/actuator/prometheus");
            idleMemory(base);
        } finally {
            List<ProcessHandle> workers = process.descendants().toList();
            process.destroy();
            process.waitFor();
            workers.forEach(ProcessHandle::destroyForcibly);
        }
    }

    static void warmUp(String base) throws Exception {
        for (int i = 0; i < 2_000; i++) {
            post(base + "/v1/jobs" + (i % 10 == 0 ? "?wait=5" : ""), "{\"task\":\"echo\"}");
        }
        awaitDrained(base, Duration.ofSeconds(120));
    }

    static void throughput(String base, int jobs) throws Exception {
        int clients = 32;
        AtomicInteger next = new AtomicInteger();
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            List<Future<?>> work = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                work.add(pool.submit(() -> {
                    while (next.getAndIncrement() < jobs) {
                        post(base + "/v1/jobs", "{\"task\":\"echo\"}");
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
        }
        double submitted = (System.nanoTime() - start) / 1e9;
        awaitDrained(base, Duration.ofMinutes(10));
        double done = (System.nanoTime() - start) / 1e9;
        System.out.printf("throughput: %d noop jobs, 32 clients: submitted at %.0f/s, all finished at %.0f jobs/s end to end (%.1f s)%n",
                jobs, jobs / submitted, jobs / done, done);
    }

    static void roundTrip(String base, int count) throws Exception {
        long[] nanos = new long[count];
        for (int i = 0; i < count; i++) {
            long t = System.nanoTime();
            String body = post(base + "/v1/jobs?wait=5", "{\"task\":\"echo\"}");
            nanos[i] = System.nanoTime() - t;
            if (!body.contains("SUCCEEDED")) {
                throw new IllegalStateException("sync job did not finish: " + body);
            }
        }
        Arrays.sort(nanos);
        System.out.printf("sync round trip (POST ?wait=5, noop, 1 client, %d calls): p50 %.2f ms, p99 %.2f ms%n",
                count, nanos[count / 2] / 1e6, nanos[(int) (count * 0.99)] / 1e6);
    }

    static void spawn(String base, String metricsBefore, String metricsUrl) throws Exception {
        // Recycle workers by resizing down and up, so spawns happen on a warm server; the metric's
        // count and sum before and after give the mean of just these spawns.
        int size = Integer.parseInt(extract(get(base + "/v1/pool"), "\"size\":(\\d+)"));
        int rounds = 5;
        for (int round = 0; round < rounds; round++) {
            put(base + "/v1/pool", "{\"size\":1}");
            awaitWorkers(base, 1);
            put(base + "/v1/pool", "{\"size\":" + size + "}");
            awaitWorkers(base, size);
        }
        String after = get(metricsUrl);
        double count = startup(after, "count") - startup(metricsBefore, "count");
        double sum = startup(after, "sum") - startup(metricsBefore, "sum");
        System.out.printf("worker spawn to ready: mean %.0f ms over %.0f spawns on a warm server%n", sum / count * 1000, count);
    }

    static double startup(String metrics, String part) {
        return Double.parseDouble(extract(metrics, "jobpool_worker_startup_seconds_" + part + "(?:\\{[^}]*\\})? ([0-9.E]+)"));
    }

    static void awaitAotCache(Path data, Duration timeout) throws Exception {
        Path cache = Path.of(System.getProperty("java.io.tmpdir"), "jobpool-worker");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.readString(data.resolve("server.log")).contains("Worker AOT cache")) {
                return;
            }
            try (var files = Files.find(cache, 2, (file, attributes) -> file.getFileName().toString().matches("worker-.*\\.aot"))) {
                if (files.findAny().isPresent()) {
                    return;
                }
            } catch (java.io.IOException e) {
                // no cache directory yet
            }
            Thread.sleep(100);
        }
        System.out.println("(no AOT cache within " + timeout + "; spawns measured without it)");
    }

    static void idleMemory(String base) throws Exception {
        String pool = get(base + "/v1/pool");
        Matcher pids = Pattern.compile("\"pid\":(\\d+)").matcher(pool);
        while (pids.find()) {
            long pid = Long.parseLong(pids.group(1));
            String status = Files.readString(Path.of("/proc/" + pid + "/status"));
            String rollup = Files.readString(Path.of("/proc/" + pid + "/smaps_rollup"));
            System.out.printf("idle worker pid %d: RSS %d MiB, PSS %d MiB%n", pid,
                    Long.parseLong(extract(status, "VmRSS:\\s+(\\d+)")) / 1024, Long.parseLong(extract(rollup, "Pss:\\s+(\\d+)")) / 1024);
        }
    }

    static void awaitWorkers(String base, int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            String pool = get(base + "/v1/pool");
            long idle = Pattern.compile("\"state\":\"IDLE\"").matcher(pool).results().count();
            long all = Pattern.compile("\"state\":").matcher(pool).results().count();
            if (idle == count && all == count) {
                return;
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException("pool did not reach " + count + " idle workers");
    }

    static void awaitDrained(String base, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (get(base + "/v1/jobs?status=QUEUED&limit=1").contains("\"items\":[]")
                    && get(base + "/v1/jobs?status=RUNNING&limit=1").contains("\"items\":[]")) {
                return;
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException("jobs did not finish within " + timeout);
    }

    static void awaitReady(String url, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("server not ready within " + timeout);
    }

    static String extract(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("no " + regex + " in " + text.substring(0, Math.min(300, text.length())));
        }
        return m.group(1);
    }

    static String get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    static String post(String url, String json) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300 && response.statusCode() != 202) {
            throw new IllegalStateException(url + " -> " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    static void put(String url, String json) throws Exception {
        HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
