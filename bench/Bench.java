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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * jobpool's benchmark, side by side with Celery in the same run (the machine is shared, so only
 * ratios measured back to back mean anything). It starts the built jar on a fresh data directory,
 * warms it until two rounds agree within 10 %, and reports
 *   1. async: noop jobs submitted by 32 clients, then all finished (jobs/s end to end),
 *   2. sync: POST /v1/jobs?wait=10 over 32 connections (wrk with bench/submit.lua when installed),
 *   3. sync round trip p50 / p99 from one client,
 *   4. server CPU seconds per job for 1 and 2 (utime + stime of the server process),
 *   5. worker spawn-to-ready and idle worker RSS / PSS,
 *   6. the same async and sync figures on a local PostgreSQL server it starts (one replica),
 *   7. Celery (prefork 2 + Redis, its own runner) and the ratios.
 *
 * Run: java bench/Bench.java [jar] [jobs]   (Java 25; bench/run.sh builds the jar and runs this)
 * Only 127.0.0.1 is contacted; every loop is bounded in count and time; every process it starts
 * is stopped by its PID.
 */
public class Bench {

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");
    static final long TICKS_PER_SECOND = 100; // Linux USER_HZ, the unit of /proc/<pid>/stat times

    /** What one jobpool mode measured. */
    record Figures(String mode, double asyncRate, double asyncCpuPerJob, double syncRate, double syncCpuPerJob,
            double p50, double p99, double warmUpSeconds) {}

    public static void main(String[] args) throws Exception {
        String jar = args.length > 0 ? args[0] : "target/jobpool-0.1.0-SNAPSHOT.jar";
        int jobs = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        System.out.printf("jobpool benchmark, %s, %d CPUs, load average %s%n", java.time.Instant.now(),
                Runtime.getRuntime().availableProcessors(), loadAverage());
        List<Figures> figures = new ArrayList<>();
        figures.add(runJobpool(jar, jobs, "embedded", Map.of(), true));
        String celery = System.getProperty("bench.celery", "");
        Map<String, Double> peer = celery.isBlank() ? Map.of() : celery(celery);
        if (!Boolean.getBoolean("bench.skip-postgres")) {
            Path initdb = postgresBinary("initdb");
            if (initdb == null) {
                System.out.println("PostgreSQL mode skipped: no /usr/lib/postgresql/*/bin/initdb");
            } else {
                try (LocalPostgres postgres = LocalPostgres.start(initdb.getParent())) {
                    figures.add(runJobpool(jar, jobs, "postgresql", Map.of("SPRING_DATASOURCE_URL", postgres.url(),
                            "SPRING_DATASOURCE_USERNAME", "postgres", "SPRING_DATASOURCE_PASSWORD", ""), false));
                }
            }
        }
        System.out.println();
        System.out.println("summary (same run; ratios are jobpool / Celery):");
        for (Figures f : figures) {
            System.out.printf("  %-10s async %6.0f jobs/s (%.2f ms server CPU/job)  sync x32 %6.0f jobs/s (%.2f ms CPU/job)"
                    + "  sync 1 client p50 %.2f ms p99 %.2f ms  warm-up %.0f s%n", f.mode(), f.asyncRate(),
                    f.asyncCpuPerJob() * 1000, f.syncRate(), f.syncCpuPerJob() * 1000, f.p50(), f.p99(), f.warmUpSeconds());
            if (peer.containsKey("rate")) {
                System.out.printf("  %-10s async %.2fx Celery, sync x32 %.2fx Celery, sync p50 %.2fx Celery's latency%n", "",
                        f.asyncRate() / peer.get("rate"), f.syncRate() / peer.get("rate"), f.p50() / peer.get("p50"));
            }
        }
        if (peer.containsKey("rate")) {
            System.out.printf("  celery     %6.0f tasks/s, sync p50 %.2f ms p99 %.2f ms%n", peer.get("rate"), peer.get("p50"),
                    peer.get("p99"));
        }
    }

    static Figures runJobpool(String jar, int jobs, String mode, Map<String, String> environment, boolean workers)
            throws Exception {
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
        server.environment().put("JOBPOOL_QUEUE_CAPACITY", Integer.toString(jobs * 4));
        server.environment().put("JOBPOOL_POOL_PREFETCH", System.getProperty("bench.prefetch", "0"));
        if (System.getProperty("bench.datasource-url") != null) {
            server.environment().put("SPRING_DATASOURCE_URL", System.getProperty("bench.datasource-url").replace("DATA", data.toString()));
        }
        server.environment().putAll(environment);
        System.out.printf("%n== jobpool, %s store ==%n", mode);
        long launched = System.nanoTime();
        Process process = server.start();
        try {
            String base = "http://127.0.0.1:" + port;
            awaitReady("http://127.0.0.1:" + management + "/actuator/health/readiness", Duration.ofSeconds(600));
            System.out.printf("started in %.1f s%n", (System.nanoTime() - launched) / 1e9);
            double warmUp = warmUpToPlateau(base, launched);
            double[] async = throughput(base, jobs, process.pid());
            double[] sync = syncThroughput(base, process.pid(), Duration.ofSeconds(Long.getLong("bench.sync-seconds", 15)));
            double[] latency = roundTrip(base, 2_000);
            if (workers) {
                // Give the background AOT training of the worker class cache time to finish first.
                awaitAotCache(data, Duration.ofSeconds(60));
                String metrics = get("http://127.0.0.1:" + management + "/actuator/prometheus");
                spawn(base, metrics, "http://127.0.0.1:" + management + "/actuator/prometheus");
                idleMemory(base);
            }
            return new Figures(mode, async[0], async[1], sync[0], sync[1], latency[0], latency[1], warmUp);
        } finally {
            List<ProcessHandle> children = process.descendants().toList();
            process.destroy();
            process.waitFor();
            children.forEach(ProcessHandle::destroyForcibly);
        }
    }

    /**
     * Rounds of 32 clients sending 2,000 async jobs each until two rounds in a row agree within
     * 10 % (at most 20 rounds): the JIT needs a while on two shared cores. Returns the seconds from
     * launch to the plateau.
     */
    static double warmUpToPlateau(String base, long launched) throws Exception {
        double previous = 0;
        List<String> rates = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
            double rate = throughputQuietly(base, 2_000);
            rates.add(String.format("%.0f", rate));
            if (previous > 0 && Math.abs(rate - previous) <= 0.1 * Math.max(rate, previous)) {
                double seconds = (System.nanoTime() - launched) / 1e9;
                System.out.printf("warm-up: plateau after %d rounds, %.0f s after launch (jobs/s per round: %s)%n", round + 1,
                        seconds, String.join(", ", rates));
                return seconds;
            }
            previous = rate;
        }
        double seconds = (System.nanoTime() - launched) / 1e9;
        System.out.printf("warm-up: no plateau in 20 rounds (%.0f s; jobs/s per round: %s)%n", seconds, String.join(", ", rates));
        return seconds;
    }

    static double throughputQuietly(String base, int jobs) throws Exception {
        long start = System.nanoTime();
        submitAll(base, jobs);
        awaitDrained(base, Duration.ofMinutes(5));
        return jobs / ((System.nanoTime() - start) / 1e9);
    }

    static void submitAll(String base, int jobs) throws Exception {
        int clients = 32;
        AtomicInteger next = new AtomicInteger();
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
    }

    /** POST ?wait=10 from 32 connections for {@code duration}: wrk with bench/submit.lua if installed, else Java threads. */
    static double[] syncThroughput(String base, long serverPid, Duration duration) throws Exception {
        long cpuBefore = cpuTicks(serverPid);
        long start = System.nanoTime();
        long done;
        String how;
        Path wrk = Path.of("/usr/bin/wrk");
        Path script = Path.of("bench", "submit.lua");
        if (Files.isExecutable(wrk) && Files.exists(script) && !Boolean.getBoolean("bench.no-wrk")) {
            Process p = new ProcessBuilder(wrk.toString(), "-t2", "-c32", "-d" + duration.toSeconds() + "s", "--latency",
                    "-s", script.toString(), base + "/v1/jobs?wait=10").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            done = Long.parseLong(extract(out, "(\\d+) requests in"));
            if (out.contains("Non-2xx")) {
                throw new IllegalStateException("wrk saw errors:\n" + out);
            }
            how = "wrk -t2 -c32 -s bench/submit.lua";
        } else {
            AtomicInteger count = new AtomicInteger();
            long end = System.nanoTime() + duration.toNanos();
            try (ExecutorService pool = Executors.newFixedThreadPool(32)) {
                List<Future<?>> work = new ArrayList<>();
                for (int c = 0; c < 32; c++) {
                    work.add(pool.submit(() -> {
                        while (System.nanoTime() < end) {
                            String body = post(base + "/v1/jobs?wait=10", "{\"task\":\"echo\"}");
                            if (!body.contains("SUCCEEDED")) {
                                throw new IllegalStateException("sync job did not finish: " + body);
                            }
                            count.incrementAndGet();
                        }
                        return null;
                    }));
                }
                for (Future<?> f : work) {
                    f.get();
                }
            }
            done = count.get();
            how = "32 Java HTTP clients";
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpu = (cpuTicks(serverPid) - cpuBefore) / (double) TICKS_PER_SECOND;
        System.out.printf("sync (POST ?wait=10, noop, 32 connections, %s): %d jobs in %.1f s = %.0f jobs/s; server CPU %.2f ms/job%n",
                how, done, seconds, done / seconds, cpu / done * 1000);
        return new double[] {done / seconds, cpu / done};
    }

    static double[] throughput(String base, int jobs, long serverPid) throws Exception {
        long cpuBefore = cpuTicks(serverPid);
        long start = System.nanoTime();
        submitAll(base, jobs);
        double submitted = (System.nanoTime() - start) / 1e9;
        awaitDrained(base, Duration.ofMinutes(10));
        double done = (System.nanoTime() - start) / 1e9;
        double cpu = (cpuTicks(serverPid) - cpuBefore) / (double) TICKS_PER_SECOND;
        System.out.printf("async: %d noop jobs, 32 clients: submitted at %.0f/s, all finished at %.0f jobs/s end to end (%.1f s);"
                + " server CPU %.2f ms/job%n", jobs, jobs / submitted, jobs / done, done, cpu / jobs * 1000);
        return new double[] {jobs / done, cpu / jobs};
    }

    static double[] roundTrip(String base, int count) throws Exception {
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
        double p50 = nanos[count / 2] / 1e6;
        double p99 = nanos[(int) (count * 0.99)] / 1e6;
        System.out.printf("sync round trip (POST ?wait=5, noop, 1 client, %d calls): p50 %.2f ms, p99 %.2f ms%n", count, p50, p99);
        return new double[] {p50, p99};
    }

    /** utime + stime of a process, in clock ticks. */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Runs the peer's runner (Celery prefork 2 + Redis) and reads its figures. */
    static Map<String, Double> celery(String runner) throws Exception {
        System.out.printf("%n== Celery (%s) ==%n", runner);
        Process p = new ProcessBuilder("bash", runner).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        System.out.print(out);
        Map<String, Double> figures = new java.util.HashMap<>();
        try {
            figures.put("rate", Double.parseDouble(extract(out, "celery tasks/s = ([0-9.]+)")));
            figures.put("p50", Double.parseDouble(extract(out, "celery sync p50 ms = ([0-9.]+)")));
            figures.put("p99", Double.parseDouble(extract(out, "celery sync p99 ms = ([0-9.]+)")));
        } catch (IllegalStateException e) {
            System.out.println("(Celery figures missing: " + e.getMessage() + ")");
        }
        return figures;
    }

    static Path postgresBinary(String name) throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (var versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin").resolve(name)).filter(Files::isExecutable)
                    .max(java.util.Comparator.naturalOrder()).orElse(null);
        }
    }

    /**
     * A throw-away PostgreSQL server in a temporary directory on a free port, default settings
     * (fsync and synchronous_commit on). PostgreSQL refuses to run as root, so as root it runs as
     * the {@code postgres} user through {@code setpriv}, which execs (the PID is the postmaster's).
     */
    record LocalPostgres(Process process, int port, Path dir) implements AutoCloseable {

        static LocalPostgres start(Path bin) throws Exception {
            Path dir = Files.createTempDirectory("jobpool-bench-pg");
            int port = freePort();
            boolean root = "root".equals(System.getProperty("user.name"));
            if (root) {
                run(List.of("chown", "postgres:postgres", dir.toString()));
            }
            run(asUser(root, List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", "postgres",
                    "--auth=trust", "-E", "UTF8", "--no-sync")));
            Process postgres = new ProcessBuilder(asUser(root, List.of(bin.resolve("postgres").toString(), "-D",
                    dir.resolve("data").toString(), "-p", Integer.toString(port), "-k", dir.toString(),
                    "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=100")))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("postgres.log").toFile()).start();
            LocalPostgres server = new LocalPostgres(postgres, port, dir);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                if (new ProcessBuilder(bin.resolve("pg_isready").toString(), "-h", "127.0.0.1", "-p", Integer.toString(port))
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() == 0) {
                    System.out.printf("%nlocal PostgreSQL (%s) on 127.0.0.1:%d, pid %d%n", bin.getParent().getFileName(), port,
                            postgres.pid());
                    return server;
                }
                Thread.sleep(200);
            }
            server.close();
            throw new IllegalStateException("PostgreSQL did not start; see " + dir.resolve("postgres.log"));
        }

        private static List<String> asUser(boolean root, List<String> command) {
            if (!root) {
                return command;
            }
            List<String> wrapped = new ArrayList<>(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"));
            wrapped.addAll(command);
            return wrapped;
        }

        private static void run(List<String> command) throws Exception {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException(command + " failed:\n" + out);
            }
        }

        String url() {
            return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
        }

        /** SIGTERM (smart shutdown) by PID, SIGKILL after 20 s. */
        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
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
        // Workers appear twice (the top-level list and their runtime's entry in "pools"); measure each once.
        java.util.Set<Long> seen = new java.util.TreeSet<>();
        Pattern.compile("\"pid\":(\\d+)").matcher(pool).results().forEach(match -> seen.add(Long.parseLong(match.group(1))));
        for (long pid : seen) {
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
            // Each worker appears twice (the top-level list and its runtime's entry in "pools"): count it once.
            Map<String, String> states = new HashMap<>();
            Pattern.compile("\"id\":\"([^\"]+)\",\"pid\":[^,]*,\"state\":\"(\\w+)\"").matcher(pool).results()
                    .forEach(worker -> states.put(worker.group(1), worker.group(2)));
            long idle = states.values().stream().filter("IDLE"::equals).count();
            long all = states.size();
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
