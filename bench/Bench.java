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
 *   7. three replicas on that same PostgreSQL server: async and sync spread round robin over them,
 *      and the pickup latency (startedAt - createdAt) of single jobs on the idle cluster,
 *   8. Python tasks: a server with a Python pool running a noop task, async, sync, the Python
 *      client's map and apply_async, Python worker spawn-to-ready and idle RSS / PSS,
 *   9. Celery (prefork 2 + Redis, its own runner) and the ratios.
 *
 * Run: java bench/Bench.java [jar] [jobs]   (Java 25; bench/run.sh builds the jar and runs this)
 * Only 127.0.0.1 is contacted; every loop is bounded in count and time; every process it starts
 * is stopped by its PID.
 */
public class Bench {

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");
    static final long TICKS_PER_SECOND = 100; // Linux USER_HZ, the unit of /proc/<pid>/stat times
    static final String ECHO = "{\"task\":\"echo\"}";
    static final String PYTHON_NOOP = "{\"task\":\"noop\"}";

    /** What one jobpool mode measured. */
    record Figures(String mode, double asyncRate, double asyncCpuPerJob, double syncRate, double syncCpuPerJob,
            double p50, double p99, double warmUpSeconds) {}

    /** What the three replicas on one PostgreSQL measured; CPU is the three server JVMs' together. */
    record ClusterFigures(double asyncRate, double asyncCpuPerJob, double syncRate, double syncCpuPerJob,
            double pickupP50, double pickupP99, double warmUpSeconds) {}

    /** What the Python tasks mode measured; the client rates are NaN when the client run failed. */
    record PythonFigures(double asyncRate, double asyncCpuPerJob, double syncRate, double syncCpuPerJob,
            double mapItemsRate, double applyRate, double spawnMillis, double warmUpSeconds) {}

    public static void main(String[] args) throws Exception {
        String jar = args.length > 0 ? args[0] : "target/jobpool-0.1.0-SNAPSHOT.jar";
        int jobs = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        System.out.printf("jobpool benchmark, %s, %d CPUs, load average %s%n", java.time.Instant.now(),
                Runtime.getRuntime().availableProcessors(), loadAverage());
        List<Figures> figures = new ArrayList<>();
        figures.add(runJobpool(jar, jobs, "embedded", Map.of(), true));
        String celery = System.getProperty("bench.celery", "");
        Map<String, Double> peer = celery.isBlank() ? Map.of() : celery(celery);
        ClusterFigures cluster = null;
        if (!Boolean.getBoolean("bench.skip-postgres")) {
            Path initdb = postgresBinary("initdb");
            if (initdb == null) {
                System.out.println("PostgreSQL mode skipped: no /usr/lib/postgresql/*/bin/initdb");
            } else {
                try (LocalPostgres postgres = LocalPostgres.start(initdb.getParent())) {
                    Map<String, String> datasource = Map.of("SPRING_DATASOURCE_URL", postgres.url(),
                            "SPRING_DATASOURCE_USERNAME", "postgres", "SPRING_DATASOURCE_PASSWORD", "");
                    figures.add(runJobpool(jar, jobs, "postgresql", datasource, false));
                    if (!Boolean.getBoolean("bench.skip-cluster")) {
                        cluster = runCluster(jar, jobs, datasource, 3);
                    }
                }
            }
        }
        PythonFigures python = null;
        if (!Boolean.getBoolean("bench.skip-python")) {
            python = runPython(jar, jobs);
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
        if (cluster != null) {
            ClusterFigures c = cluster;
            System.out.printf("  %-10s async %6.0f jobs/s (%.2f ms server CPU/job, 3 JVMs)  sync x32 %6.0f jobs/s (%.2f ms CPU/job)"
                    + "  pickup on the idle cluster p50 %.1f ms p99 %.1f ms  warm-up %.0f s%n", "pg-3-nodes", c.asyncRate(),
                    c.asyncCpuPerJob() * 1000, c.syncRate(), c.syncCpuPerJob() * 1000, c.pickupP50(), c.pickupP99(),
                    c.warmUpSeconds());
            if (peer.containsKey("rate")) {
                System.out.printf("  %-10s async %.2fx Celery, sync x32 %.2fx Celery%n", "", c.asyncRate() / peer.get("rate"),
                        c.syncRate() / peer.get("rate"));
            }
        }
        if (python != null) {
            PythonFigures p = python;
            System.out.printf("  %-10s async %6.0f jobs/s (%.2f ms server CPU/job)  sync x32 %6.0f jobs/s (%.2f ms CPU/job)"
                    + "  client map %.0f items/s, apply_async %.0f jobs/s  spawn %.0f ms  warm-up %.0f s%n", "python",
                    p.asyncRate(), p.asyncCpuPerJob() * 1000, p.syncRate(), p.syncCpuPerJob() * 1000, p.mapItemsRate(),
                    p.applyRate(), p.spawnMillis(), p.warmUpSeconds());
            if (peer.containsKey("rate")) {
                System.out.printf("  %-10s async %.2fx Celery, sync x32 %.2fx Celery, client map %.2fx Celery, client apply_async"
                        + " %.2fx Celery%n", "", p.asyncRate() / peer.get("rate"), p.syncRate() / peer.get("rate"),
                        p.mapItemsRate() / peer.get("rate"), p.applyRate() / peer.get("rate"));
            }
        }
        if (peer.containsKey("rate")) {
            System.out.printf("  celery     %6.0f tasks/s, sync p50 %.2f ms p99 %.2f ms%n", peer.get("rate"), peer.get("p50"),
                    peer.get("p99"));
        }
    }

    static Figures runJobpool(String jar, int jobs, String mode, Map<String, String> environment, boolean workers)
            throws Exception {
        int[] ports = freePorts(2);
        int port = ports[0];
        int management = ports[1];
        Path data = Files.createTempDirectory("jobpool-bench");
        System.out.printf("%n== jobpool, %s store ==%n", mode);
        long launched = System.nanoTime();
        Process process = startServer(jar, port, management, data, jobs, environment);
        try {
            String base = "http://127.0.0.1:" + port;
            List<String> bases = List.of(base);
            List<Long> pids = List.of(process.pid());
            awaitReady("http://127.0.0.1:" + management + "/actuator/health/readiness", Duration.ofSeconds(600));
            System.out.printf("started in %.1f s%n", (System.nanoTime() - launched) / 1e9);
            double warmUp = warmUpToPlateau(bases, launched, ECHO);
            double[] async = throughput(bases, jobs, pids, ECHO, "noop jobs, 32 clients");
            double[] sync = syncThroughput(bases, pids, syncDuration(), ECHO, data);
            double[] latency = roundTrip(base, 2_000);
            storeFiles(data);
            if (workers) {
                // Give the background AOT training of the worker class cache time to finish first.
                awaitAotCache(data, base, Duration.ofSeconds(60));
                String metrics = get("http://127.0.0.1:" + management + "/actuator/prometheus");
                spawn(base, metrics, "http://127.0.0.1:" + management + "/actuator/prometheus");
                idleMemory(base);
            }
            return new Figures(mode, async[0], async[1], sync[0], sync[1], latency[0], latency[1], warmUp);
        } finally {
            stop(List.of(process));
            deleteStore(data);
        }
    }

    /** Prints the size of each file of the embedded store after the load (none on PostgreSQL). */
    static void storeFiles(Path data) throws IOException {
        try (var files = Files.list(data)) {
            String sizes = files.filter(f -> f.getFileName().toString().startsWith("jobpool.")).sorted()
                    .map(f -> {
                        try {
                            return String.format("%s %.1f MB", f.getFileName(), Files.size(f) / 1e6);
                        } catch (IOException e) {
                            return f.getFileName() + " ?";
                        }
                    })
                    .collect(java.util.stream.Collectors.joining(", "));
            if (!sizes.isEmpty()) {
                System.out.println("store files after the load: " + sizes);
            }
        }
    }

    /**
     * Deletes a stopped server's embedded store, keeping its log: each run makes a new one (an H2
     * file, with -Dbench.datasource-url, grows past a gigabyte under this load).
     */
    static void deleteStore(Path data) throws IOException {
        try (var files = Files.list(data)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("jobpool.")).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }

    /**
     * Starts the jar with the benchmark's settings (ports, a fresh data directory, a queue large
     * enough for every round, {@code bench.prefetch}, {@code bench.server-options},
     * {@code bench.datasource-url}), then {@code environment} on top; its log goes to
     * {@code <data>/server.log}.
     */
    static Process startServer(String jar, int port, int management, Path data, int jobs, Map<String, String> environment)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        // e.g. -Dbench.server-options=-XX:StartFlightRecording=filename=/tmp/server-%p.jfr to profile the server
        // (%p: the cluster mode starts three servers, each needs a file of its own)
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
        // The warm-up rounds are 2,000 jobs whatever the measured count.
        server.environment().put("JOBPOOL_QUEUE_CAPACITY", Integer.toString(Math.max(jobs, 2_000) * 4));
        server.environment().put("JOBPOOL_POOL_PREFETCH", System.getProperty("bench.prefetch", "0"));
        if (System.getProperty("bench.datasource-url") != null) {
            server.environment().put("SPRING_DATASOURCE_URL", System.getProperty("bench.datasource-url").replace("DATA", data.toString()));
        }
        server.environment().putAll(environment);
        return server.start();
    }

    /**
     * Stops servers by their PIDs: SIGTERM to each (graceful shutdown stops their workers), wait up
     * to a minute each, then SIGKILL whatever of their process trees is left (a worker orphaned by a
     * server that had to be killed).
     */
    static void stop(List<Process> servers) throws InterruptedException {
        List<ProcessHandle> children = servers.stream().flatMap(Process::descendants).toList();
        servers.forEach(Process::destroy);
        for (Process server : servers) {
            if (!server.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                server.destroyForcibly().waitFor();
            }
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    static Duration syncDuration() {
        return Duration.ofSeconds(Long.getLong("bench.sync-seconds", 15));
    }

    /**
     * Several replicas on one PostgreSQL database (the one-replica run's): started together, each
     * with its own ports and data directory, measured with submissions spread round robin over
     * them. Any replica answers the queued / running counts for the whole cluster.
     */
    static ClusterFigures runCluster(String jar, int jobs, Map<String, String> datasource, int replicas) throws Exception {
        System.out.printf("%n== jobpool, postgresql, %d replicas ==%n", replicas);
        int[] ports = freePorts(2 * replicas);
        List<Process> servers = new ArrayList<>();
        List<String> bases = new ArrayList<>();
        List<Path> dataDirs = new ArrayList<>();
        long launched = System.nanoTime();
        try {
            for (int r = 0; r < replicas; r++) {
                Path data = Files.createTempDirectory("jobpool-bench-node" + (r + 1) + "-");
                dataDirs.add(data);
                servers.add(startServer(jar, ports[2 * r], ports[2 * r + 1], data, jobs, datasource));
                bases.add("http://127.0.0.1:" + ports[2 * r]);
                System.out.printf("replica %d: pid %d, %s, log %s%n", r + 1, servers.get(r).pid(), bases.get(r),
                        data.resolve("server.log"));
            }
            for (int r = 0; r < replicas; r++) {
                awaitReady("http://127.0.0.1:" + ports[2 * r + 1] + "/actuator/health/readiness", Duration.ofSeconds(600));
            }
            System.out.printf("all %d started in %.1f s%n", replicas, (System.nanoTime() - launched) / 1e9);
            List<Long> pids = servers.stream().map(Process::pid).toList();
            double warmUp = warmUpToPlateau(bases, launched, ECHO);
            double[] async = throughput(bases, jobs, pids, ECHO, "noop jobs, 32 clients round robin over " + replicas + " replicas");
            double[] sync = syncThroughput(bases, pids, syncDuration(), ECHO, null);
            awaitDrained(bases.get(0), Duration.ofMinutes(1));
            double[] pickup = pickupLatency(bases, 200);
            return new ClusterFigures(async[0], async[1], sync[0], sync[1], pickup[0], pickup[1], warmUp);
        } finally {
            stop(servers);
            for (Path data : dataDirs) {
                deleteStore(data);
            }
        }
    }

    /**
     * Pickup latency on an idle cluster: one echo job at a time, submitted to a random replica and
     * read back with {@code GET /v1/jobs/{id}?wait=5}; {@code startedAt - createdAt} (both stamped
     * by the servers, to the millisecond) is the time from stored to taken by a worker on any
     * replica, without the HTTP round trips. Also counts the jobs another replica ran.
     */
    static double[] pickupLatency(List<String> bases, int count) throws Exception {
        List<String> nodes = new ArrayList<>();
        for (String base : bases) {
            nodes.add(extract(get(base + "/v1/pool"), "\"node\":\"([^\"]+)\""));
        }
        java.util.Random random = new java.util.Random(1);
        long[] millis = new long[count];
        List<Long> elsewhere = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int node = random.nextInt(bases.size());
            String id = extract(post(bases.get(node) + "/v1/jobs", ECHO), ID.pattern());
            String job = get(bases.get(node) + "/v1/jobs/" + id + "?wait=5");
            if (!job.contains("\"status\":\"SUCCEEDED\"")) {
                throw new IllegalStateException("job did not finish within 5 s: " + job);
            }
            millis[i] = Duration.between(java.time.Instant.parse(extract(job, "\"createdAt\":\"([^\"]+)\"")),
                    java.time.Instant.parse(extract(job, "\"startedAt\":\"([^\"]+)\""))).toMillis();
            // A replica with an idle worker stores the job already claimed for it; a job queued
            // instead goes to whichever replica's dispatcher claims it first: report those apart.
            if (!job.contains("\"worker\":{\"node\":\"" + nodes.get(node) + "\"")) {
                elsewhere.add(millis[i]);
            }
        }
        Arrays.sort(millis);
        double p50 = millis[count / 2];
        double p99 = millis[(int) (count * 0.99)];
        System.out.printf("pickup on the idle cluster (startedAt - createdAt, one echo job at a time to a random replica, %d jobs):"
                + " p50 %.0f ms, p99 %.0f ms, max %d ms%n", count, p50, p99, millis[count - 1]);
        elsewhere.sort(null);
        System.out.printf("  %d of %d ran on another replica than the one that took them%s%n", elsewhere.size(), count,
                elsewhere.isEmpty() ? "" : String.format(": their p50 %d ms, max %d ms", elsewhere.get(elsewhere.size() / 2),
                        elsewhere.getLast()));
        return new double[] {p50, p99};
    }

    /**
     * Python tasks: one server on the embedded store whose Python pool (two workers) runs a noop
     * task from a module written to a temporary tasks directory; its Java pool stays at its default
     * and idle. Measured like the embedded mode, plus the Python client (bench/python_map.py).
     */
    static PythonFigures runPython(String jar, int jobs) throws Exception {
        System.out.printf("%n== jobpool, python tasks ==%n");
        String python = pythonExecutable();
        if (python == null) {
            System.out.println("Python tasks mode skipped: no python3 on the PATH");
            return null;
        }
        int[] ports = freePorts(2);
        Path data = Files.createTempDirectory("jobpool-bench-python");
        Path tasks = Files.createDirectories(data.resolve("tasks"));
        Files.writeString(tasks.resolve("bench_tasks.py"), """
                from jobpool_task import task


                @task
                def noop(*args, **kwargs):
                    return None
                """);
        // The interpreter by its real path: a shim on the PATH (pyenv's is a shell script that
        // runs pyenv) would be timed as part of every worker spawn, and may need variables the
        // workers' scrubbed environment drops. TASKSDIR is the canonical environment form of
        // jobpool.python.tasks-dir (dots to '_', '-' removed).
        Map<String, String> environment = Map.of("JOBPOOL_PYTHON_EXECUTABLE", python,
                "JOBPOOL_PYTHON_TASKSDIR", tasks.toString(), "JOBPOOL_PYTHON_POOL_SIZE", "2");
        long launched = System.nanoTime();
        Process process = startServer(jar, ports[0], ports[1], data, jobs, environment);
        try {
            String base = "http://127.0.0.1:" + ports[0];
            String metricsUrl = "http://127.0.0.1:" + ports[1] + "/actuator/prometheus";
            List<String> bases = List.of(base);
            List<Long> pids = List.of(process.pid());
            awaitReady("http://127.0.0.1:" + ports[1] + "/actuator/health/readiness", Duration.ofSeconds(600));
            System.out.printf("started in %.1f s (%s, tasks dir %s)%n", (System.nanoTime() - launched) / 1e9, python, tasks);
            awaitTask(base, "noop", "python", Duration.ofSeconds(120));
            System.out.printf("task noop listed with runtime python %.1f s after launch%n", (System.nanoTime() - launched) / 1e9);
            double warmUp = warmUpToPlateau(bases, launched, PYTHON_NOOP);
            double[] async = throughput(bases, jobs, pids, PYTHON_NOOP, "python noop jobs, 32 clients");
            double[] sync = syncThroughput(bases, pids, syncDuration(), PYTHON_NOOP, data);
            double[] client = pythonClient(python, base);
            awaitDrained(base, Duration.ofMinutes(1));
            double spawn = pythonSpawn(base, metricsUrl);
            idleMemory(base, "python");
            return new PythonFigures(async[0], async[1], sync[0], sync[1], client[0], client[1], spawn, warmUp);
        } finally {
            stop(List.of(process));
            deleteStore(data);
        }
    }

    /** The real path of {@code python3} on the PATH (its {@code sys.executable}), or null without one. */
    static String pythonExecutable() throws InterruptedException {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import sys; print(sys.executable)").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 && out.startsWith("/") && Files.isExecutable(Path.of(out)) ? out : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Until {@code GET /v1/tasks} lists the task with that runtime (a Python worker has imported its module). */
    static void awaitTask(String base, String task, String runtime, Duration timeout) throws Exception {
        Pattern listed = Pattern.compile("\"name\":\"" + task + "\",(?:\"description\":(?:null|\"(?:[^\"\\\\]|\\\\.)*\"),)?"
                + "\"runtime\":\"" + runtime + "\"");
        long deadline = System.nanoTime() + timeout.toNanos();
        String tasks = "";
        while (System.nanoTime() < deadline) {
            tasks = get(base + "/v1/tasks");
            if (listed.matcher(tasks).find()) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("/v1/tasks did not list " + task + " (" + runtime + ") within " + timeout + ": " + tasks
                + "\npool: " + get(base + "/v1/pool"));
    }

    /**
     * bench/python_map.py with the same interpreter: the client's {@code map} of noop over
     * {@code bench.python-map-items} items (default chunksize) and {@code apply_async} of
     * {@code bench.python-apply-jobs} noop jobs from 16 threads. At most 15 minutes; NaN for a
     * figure it did not print.
     */
    static double[] pythonClient(String python, String base) throws Exception {
        Path script = Path.of("bench", "python_map.py");
        if (!Files.exists(script)) {
            System.out.println("Python client skipped: no " + script + " (run from the repository root)");
            return new double[] {Double.NaN, Double.NaN};
        }
        int items = Integer.getInteger("bench.python-map-items", 10_000);
        int applies = Integer.getInteger("bench.python-apply-jobs", 2_000);
        Process p = new ProcessBuilder(python, script.toString(), base, Integer.toString(items), Integer.toString(applies))
                .redirectErrorStream(true).start();
        var output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes());
            } catch (IOException e) {
                return e.toString();
            }
        });
        if (!p.waitFor(15, java.util.concurrent.TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
        }
        String out = output.get(1, java.util.concurrent.TimeUnit.MINUTES);
        System.out.print(out.lines().map(line -> line + System.lineSeparator()).reduce("", String::concat));
        if (p.exitValue() != 0) {
            System.out.println("(Python client exited with " + p.exitValue() + ")");
        }
        return new double[] {figureOrNaN(out, "python map items/s = ([0-9.]+)"),
                figureOrNaN(out, "python apply_async jobs/s = ([0-9.]+)")};
    }

    static double figureOrNaN(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    /**
     * Python spawn-to-ready, as {@link #spawn} does for Java: resize the Python pool
     * ({@code PUT /v1/pool {"size":1,"runtime":"python"}}) down and back up five times and take the
     * mean of {@code jobpool_worker_startup_seconds{runtime="python"}} over just those spawns. If the
     * resize is refused, the mean of the initial spawns (said so in the output).
     */
    static double pythonSpawn(String base, String metricsUrl) throws Exception {
        String before = get(metricsUrl);
        int size = Integer.parseInt(extract(runtimePool(get(base + "/v1/pool"), "python"), "\"size\":(\\d+)"));
        int rounds = 5;
        for (int round = 0; round < rounds; round++) {
            int status = put(base + "/v1/pool", "{\"size\":1,\"runtime\":\"python\"}");
            if (status != 200) {
                double count = startup(before, "count", "python");
                double mean = startup(before, "sum", "python") / count * 1000;
                System.out.printf("python worker spawn to ready: resizing the python pool answered %d, so mean %.0f ms over the %.0f"
                        + " initial spawns (server starting, not warm)%n", status, mean, count);
                return mean;
            }
            awaitWorkers(base, "python", 1);
            put(base + "/v1/pool", "{\"size\":" + size + ",\"runtime\":\"python\"}");
            awaitWorkers(base, "python", size);
        }
        String after = get(metricsUrl);
        double count = startup(after, "count", "python") - startup(before, "count", "python");
        double sum = startup(after, "sum", "python") - startup(before, "sum", "python");
        System.out.printf("python worker spawn to ready: mean %.0f ms over %.0f spawns on a warm server%n", sum / count * 1000, count);
        return sum / count * 1000;
    }

    /**
     * Rounds of 32 clients sending 2,000 async jobs each until the rate has plateaued: two rounds
     * in a row agree within 10 %, neither more than 10 % below the fastest round so far, and at
     * least {@link #MIN_WARM_UP_ROUNDS} rounds ran (at most 20). The JIT needs a while on two
     * shared cores, and it climbs in shelves: the rule "the first two rounds that agree" stopped at
     * 500 jobs/s on a server that reached 1,500 a minute later. Returns the seconds from launch to
     * the end of the first round within 10 % of the plateau: how long warm-up took.
     */
    static double warmUpToPlateau(List<String> bases, long launched, String body) throws Exception {
        List<Double> rates = new ArrayList<>();
        List<Double> endedAt = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
            rates.add(throughputQuietly(bases, 2_000, body));
            endedAt.add((System.nanoTime() - launched) / 1e9);
            if (round + 1 >= MIN_WARM_UP_ROUNDS && plateaued(rates)) {
                double plateau = (rates.get(round) + rates.get(round - 1)) / 2;
                int first = 0;
                while (rates.get(first) < 0.9 * plateau) {
                    first++;
                }
                System.out.printf("warm-up: %.0f jobs/s from round %d, %.0f s after launch (plateau seen after %d rounds; jobs/s per round: %s)%n",
                        plateau, first + 1, endedAt.get(first), round + 1, rounds(rates));
                return endedAt.get(first);
            }
        }
        double seconds = (System.nanoTime() - launched) / 1e9;
        System.out.printf("warm-up: no plateau in 20 rounds (%.0f s; jobs/s per round: %s)%n", seconds, rounds(rates));
        return seconds;
    }

    static final int MIN_WARM_UP_ROUNDS = 8;

    /** The last two rates agree within 10 % and neither is more than 10 % below the best so far. */
    static boolean plateaued(List<Double> rates) {
        int n = rates.size();
        double last = rates.get(n - 1);
        double before = rates.get(n - 2);
        double best = rates.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        return Math.abs(last - before) <= 0.1 * Math.max(last, before) && Math.min(last, before) >= 0.9 * best;
    }

    private static String rounds(List<Double> rates) {
        return String.join(", ", rates.stream().map(rate -> String.format("%.0f", rate)).toList());
    }

    static double throughputQuietly(List<String> bases, int jobs, String body) throws Exception {
        long start = System.nanoTime();
        submitAll(bases, jobs, body);
        awaitDrained(bases.get(0), Duration.ofMinutes(5));
        return jobs / ((System.nanoTime() - start) / 1e9);
    }

    /** {@code jobs} async submissions from 32 clients, the n-th to {@code bases[n % size]} (round robin). */
    static void submitAll(List<String> bases, int jobs, String body) throws Exception {
        int clients = 32;
        AtomicInteger next = new AtomicInteger();
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            List<Future<?>> work = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                work.add(pool.submit(() -> {
                    for (int n = next.getAndIncrement(); n < jobs; n = next.getAndIncrement()) {
                        post(bases.get(n % bases.size()) + "/v1/jobs", body);
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
        }
    }

    /**
     * POST ?wait=10 from 32 connections for {@code duration}: wrk with bench/submit.lua (or, for
     * another body, a script written to {@code scratch}) against a single server when wrk is
     * installed, else 32 Java HTTP clients, round robin over {@code bases} (wrk takes one URL).
     * Server CPU is summed over {@code serverPids}.
     */
    static double[] syncThroughput(List<String> bases, List<Long> serverPids, Duration duration, String job, Path scratch)
            throws Exception {
        long cpuBefore = cpuTicks(serverPids);
        long start = System.nanoTime();
        long done;
        String how;
        Path wrk = Path.of("/usr/bin/wrk");
        Path script = Path.of("bench", "submit.lua");
        if (scratch != null) {
            // The same script as bench/submit.lua, for this body, so that wrk runs wherever the
            // benchmark is started from (the relative path exists only in the checkout's root).
            script = scratch.resolve("submit.lua");
            Files.writeString(script, "wrk.method = \"POST\"\nwrk.body = '" + job + "'\n"
                    + "wrk.headers[\"Content-Type\"] = \"application/json\"\n");
        }
        if (bases.size() == 1 && Files.isExecutable(wrk) && Files.exists(script) && !Boolean.getBoolean("bench.no-wrk")) {
            Process p = new ProcessBuilder(wrk.toString(), "-t2", "-c32", "-d" + duration.toSeconds() + "s", "--latency",
                    "-s", script.toString(), bases.get(0) + "/v1/jobs?wait=10").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            done = Long.parseLong(extract(out, "(\\d+) requests in"));
            if (out.contains("Non-2xx")) {
                throw new IllegalStateException("wrk saw errors:\n" + out);
            }
            how = "wrk -t2 -c32 -s " + script;
        } else {
            AtomicInteger count = new AtomicInteger();
            AtomicInteger next = new AtomicInteger();
            long end = System.nanoTime() + duration.toNanos();
            try (ExecutorService pool = Executors.newFixedThreadPool(32)) {
                List<Future<?>> work = new ArrayList<>();
                for (int c = 0; c < 32; c++) {
                    work.add(pool.submit(() -> {
                        while (System.nanoTime() < end) {
                            String base = bases.get(Math.floorMod(next.getAndIncrement(), bases.size()));
                            String body = post(base + "/v1/jobs?wait=10", job);
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
            how = bases.size() == 1 ? "32 Java HTTP clients" : "32 Java HTTP clients, round robin over " + bases.size() + " replicas";
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpu = (cpuTicks(serverPids) - cpuBefore) / (double) TICKS_PER_SECOND;
        System.out.printf("sync (POST ?wait=10, %s, 32 connections, %s): %d jobs in %.1f s = %.0f jobs/s; server CPU %.2f ms/job%n",
                job.equals(ECHO) ? "noop" : job.equals(PYTHON_NOOP) ? "python noop" : job, how, done, seconds, done / seconds, cpu / done * 1000);
        return new double[] {done / seconds, cpu / done};
    }

    /** Async jobs from 32 clients round robin over {@code bases}, then drained; server CPU summed over {@code serverPids}. */
    static double[] throughput(List<String> bases, int jobs, List<Long> serverPids, String job, String what) throws Exception {
        long cpuBefore = cpuTicks(serverPids);
        long start = System.nanoTime();
        submitAll(bases, jobs, job);
        double submitted = (System.nanoTime() - start) / 1e9;
        awaitDrained(bases.get(0), Duration.ofMinutes(10));
        double done = (System.nanoTime() - start) / 1e9;
        double cpu = (cpuTicks(serverPids) - cpuBefore) / (double) TICKS_PER_SECOND;
        System.out.printf("async: %d %s: submitted at %.0f/s, all finished at %.0f jobs/s end to end (%.1f s);"
                + " server CPU %.2f ms/job%n", jobs, what, jobs / submitted, jobs / done, done, cpu / jobs * 1000);
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

    /** utime + stime of the processes together, in clock ticks. */
    static long cpuTicks(List<Long> pids) throws IOException {
        long ticks = 0;
        for (long pid : pids) {
            ticks += cpuTicks(pid);
        }
        return ticks;
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
            server.stop();
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
        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }

        /** Stops the server, then deletes its throw-away cluster (about 120 MB each run). */
        @Override
        public void close() throws Exception {
            stop();
            try (var paths = Files.walk(dir)) {
                for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
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
        double count = startup(after, "count", "java") - startup(metricsBefore, "count", "java");
        double sum = startup(after, "sum", "java") - startup(metricsBefore, "sum", "java");
        System.out.printf("worker spawn to ready: mean %.0f ms over %.0f spawns on a warm server%n", sum / count * 1000, count);
    }

    /** {@code jobpool_worker_startup_seconds_<part>} of one runtime's workers (the metric is tagged {@code runtime}). */
    static double startup(String metrics, String part, String runtime) {
        return Double.parseDouble(extract(metrics, "jobpool_worker_startup_seconds_" + part + "\\{[^}]*runtime=\"" + runtime
                + "\"[^}]*\\} ([0-9.E+-]+)"));
    }

    /**
     * Until this server's workers can start from the AOT cache: its log says the cache was made, or
     * (a cache made by an earlier run of the same jar) a live worker was started with it. Any cache
     * file in the directory is not enough: those of other builds stay there.
     */
    static void awaitAotCache(Path data, String base, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.readString(data.resolve("server.log")).contains("Worker AOT cache")) {
                return;
            }
            for (var pid : Pattern.compile("\"pid\":(\\d+)").matcher(runtimePool(get(base + "/v1/pool"), "java")).results().toList()) {
                Path cmdline = Path.of("/proc/" + pid.group(1) + "/cmdline");
                if (Files.exists(cmdline) && Files.readString(cmdline).contains("-XX:AOTCache=")) {
                    return;
                }
            }
            Thread.sleep(200);
        }
        System.out.println("(no AOT cache within " + timeout + "; spawns measured without it)");
    }

    static void idleMemory(String base) throws Exception {
        idleMemory(base, "java");
    }

    /** RSS and PSS of each idle worker of one runtime's pool, read from /proc by the pids /v1/pool lists. */
    static List<long[]> idleMemory(String base, String runtime) throws Exception {
        // Workers appear twice (the top-level list and their runtime's entry in "pools"); the
        // runtime's entry has each once, and only that runtime's.
        java.util.Set<Long> seen = new java.util.TreeSet<>();
        Pattern.compile("\"pid\":(\\d+)").matcher(runtimePool(get(base + "/v1/pool"), runtime)).results()
                .forEach(match -> seen.add(Long.parseLong(match.group(1))));
        List<long[]> memory = new ArrayList<>();
        for (long pid : seen) {
            String status = Files.readString(Path.of("/proc/" + pid + "/status"));
            String rollup = Files.readString(Path.of("/proc/" + pid + "/smaps_rollup"));
            long rss = Long.parseLong(extract(status, "VmRSS:\\s+(\\d+)")) / 1024;
            long pss = Long.parseLong(extract(rollup, "Pss:\\s+(\\d+)")) / 1024;
            System.out.printf("idle %sworker pid %d: RSS %d MiB, PSS %d MiB%n", runtime.equals("java") ? "" : runtime + " ", pid,
                    rss, pss);
            memory.add(new long[] {pid, rss, pss});
        }
        return memory;
    }

    /**
     * The entry of {@code runtime} in the {@code pools} array of a {@code GET /v1/pool} answer, up
     * to the end of its {@code workers} list (a worker object holds no array, so the first ']'
     * after {@code "workers":[} closes it).
     */
    static String runtimePool(String pool, String runtime) {
        int at = pool.indexOf("\"runtime\":\"" + runtime + "\"");
        if (at < 0) {
            throw new IllegalStateException("no " + runtime + " pool in " + pool);
        }
        int workers = pool.indexOf("\"workers\":[", at);
        return pool.substring(at, pool.indexOf(']', workers) + 1);
    }

    static void awaitWorkers(String base, int count) throws Exception {
        awaitWorkers(base, "java", count);
    }

    /** Until exactly {@code count} workers of the runtime's pool exist, all IDLE (at most 30 s). */
    static void awaitWorkers(String base, String runtime, int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            String pool = runtimePool(get(base + "/v1/pool"), runtime);
            Map<String, String> states = new HashMap<>();
            Pattern.compile("\"id\":\"([^\"]+)\",\"pid\":[^,]*,\"state\":\"(\\w+)\"").matcher(pool).results()
                    .forEach(worker -> states.put(worker.group(1), worker.group(2)));
            long idle = states.values().stream().filter("IDLE"::equals).count();
            long all = states.size();
            if (idle == count && all == count) {
                return;
            }
            // Not faster: each look costs the server a /v1/pool (store counts, /proc reads) on the
            // two cores the booting worker needs, and the spawn time is the server's own metric.
            Thread.sleep(100);
        }
        throw new IllegalStateException("the " + runtime + " pool did not reach " + count + " idle workers");
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

    static int put(String url, String json) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** {@code count} distinct free ports: all held open at once, so none is handed out twice. */
    static int[] freePorts(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                sockets.add(new ServerSocket(0));
                ports[i] = sockets.get(i).getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        }
    }
}
