package io.jobpool.testing;

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
import java.util.List;
import java.util.Map;

/**
 * The built jar running as a separate server process, as users run it ({@code java -jar}).
 * {@link #close()} kills it and every worker it started, so no test leaves a process behind.
 */
public final class ServerProcess implements AutoCloseable {

    private final Process process;
    private final int port;
    private final int managementPort;
    private final Path log;

    private ServerProcess(Process process, int port, int managementPort, Path log) {
        this.process = process;
        this.port = port;
        this.managementPort = managementPort;
        this.log = log;
    }

    /** Starts the jar on free ports with {@code dataDir} as its store and waits until it is ready. */
    public static ServerProcess start(Path dataDir, Map<String, String> environment) throws IOException {
        return start(dataDir, environment, List.of());
    }

    /** As {@link #start(Path, Map)}, with extra JVM options for the server ({@code -Dname=value}). */
    public static ServerProcess start(Path dataDir, Map<String, String> environment, List<String> jvmOptions) throws IOException {
        return start(dataDir, environment, jvmOptions, Duration.ofSeconds(180));
    }

    /** As {@link #start(Path, Map, List)}, waiting up to {@code startup} for readiness (slow with DEBUG logs). */
    public static ServerProcess start(Path dataDir, Map<String, String> environment, List<String> jvmOptions, Duration startup)
            throws IOException {
        String jar = System.getProperty("jobpool.test.jar");
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException("the built jar is missing (" + jar + "); run through 'mvnw verify'");
        }
        int port = freePort();
        int managementPort = freePort();
        Files.createDirectories(dataDir);
        Path log = dataDir.resolve("server-" + System.nanoTime() + ".log");
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx512m"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("SERVER_PORT", Integer.toString(port));
        builder.environment().put("MANAGEMENT_SERVER_PORT", Integer.toString(managementPort));
        builder.environment().put("JOBPOOL_DATA_DIR", dataDir.toAbsolutePath().toString());
        builder.environment().putAll(environment);
        ServerProcess server = new ServerProcess(builder.start(), port, managementPort, log);
        server.awaitReady(startup);
        return server;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private void awaitReady(Duration timeout) {
        HttpClient http = HttpClient.newHttpClient();
        URI readiness = URI.create("http://127.0.0.1:" + managementPort + "/actuator/health/readiness");
        try {
            Await.until("server on port " + port + " ready (log: " + log + ")", timeout, () -> {
                if (!process.isAlive()) {
                    throw new AssertionError("server exited with " + process.exitValue() + "; log:\n" + tail());
                }
                try {
                    return http.send(HttpRequest.newBuilder(readiness).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                } catch (IOException e) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            });
        } catch (AssertionError e) {
            close();
            throw e;
        }
    }

    public int managementPort() {
        return managementPort;
    }

    /** Everything the server has written to its standard output and error so far. */
    public String log() throws IOException {
        return Files.readString(log, java.nio.charset.StandardCharsets.UTF_8);
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    /** Pids of the server's worker processes (not of a class cache training run). */
    /** The pids of the server's Python workers. */
    public List<Long> pythonWorkerPids() {
        return process.descendants()
                .filter(p -> p.info().arguments().map(List::of).orElse(List.of()).stream().anyMatch(a -> a.endsWith("jobpool_worker.py")))
                .map(ProcessHandle::pid).toList();
    }

    public List<Long> workerPids() {
        return process.descendants()
                .filter(p -> p.info().arguments().map(List::of).orElse(List.of()).contains("io.jobpool.worker.WorkerMain"))
                .filter(p -> p.info().arguments().map(List::of).orElse(List.of()).stream().noneMatch(a -> a.startsWith("-XX:AOTCacheOutput") || a.startsWith("-XX:AOTMode")))
                .map(ProcessHandle::pid).toList();
    }

    /** kill -9: the server gets no chance to clean up. */
    public void killHard() {
        process.destroyForcibly();
        awaitExit();
    }

    /** SIGTERM: a graceful shutdown. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            throw new AssertionError("server did not exit within " + timeout + " of SIGTERM");
        }
        return process.exitValue();
    }

    private void awaitExit() {
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        List<ProcessHandle> workers = process.descendants().toList();
        process.destroyForcibly();
        awaitExit();
        workers.forEach(ProcessHandle::destroyForcibly);
    }
}
