package io.jobpool.webhook;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A webhook receiver for tests: a JDK {@link HttpServer} on 127.0.0.1 that records every request
 * and answers each path with the statuses scripted for it (then 200). A scripted 3xx redirects to
 * {@code <path>-target}.
 */
final class Receiver implements AutoCloseable {

    /** One request as received; {@code nanos} is {@link System#nanoTime()} on arrival. */
    record Received(String path, Map<String, List<String>> headers, String body, long nanos) {

        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().getFirst()).findFirst().orElse(null);
        }
    }

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Map<String, Deque<Integer>> scripts = new ConcurrentHashMap<>();
    private final Map<String, java.util.concurrent.CountDownLatch> gates = new ConcurrentHashMap<>();
    private final Duration delay;

    Receiver() throws IOException {
        this(0, Duration.ZERO);
    }

    /**
     * @param port 0 for any free port, or a fixed one to come back on after being down
     * @param delay how long each request takes to answer: a slow receiver
     */
    Receiver(int port, Duration delay) throws IOException {
        this.delay = delay;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    /** Requests to {@code path} wait for {@code gate} before they are answered. */
    void hold(String path, java.util.concurrent.CountDownLatch gate) {
        gates.put(path, gate);
    }

    /** Answers the next requests to {@code path} with these statuses, in order; 200 after them. */
    void script(String path, Integer... statuses) {
        scripts.put(path, new ArrayDeque<>(List.of(statuses)));
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    int port() {
        return server.getAddress().getPort();
    }

    List<Received> requests(String path) {
        return received.stream().filter(r -> r.path().equals(path)).toList();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        received.add(new Received(path, Map.copyOf(exchange.getRequestHeaders()), body, System.nanoTime()));
        Deque<Integer> script = scripts.get(path);
        Integer next = script == null ? null : script.poll();
        if (!delay.isZero()) {
            try {
                Thread.sleep(delay); // the receiver under test is slow on purpose
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        java.util.concurrent.CountDownLatch gate = gates.get(path);
        if (gate != null) {
            try {
                gate.await(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        int status = next == null ? 200 : next;
        if (status >= 300 && status < 400) {
            exchange.getResponseHeaders().add("Location", url(path + "-target"));
        }
        exchange.sendResponseHeaders(status, -1);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
