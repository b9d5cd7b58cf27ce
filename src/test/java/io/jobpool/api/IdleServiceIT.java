package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import io.jobpool.testing.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Tests that the request path is never starved by the pool (issue 7): the built jar on a server
 * that sees 2 CPUs, once with the default pool size (one worker per CPU) and once with 4 workers,
 * answers its probes and its API after a long idle spell, while every worker sleeps, and while
 * workers print without pause. Before the fix, each worker's stderr reader was a virtual thread
 * pinned in a native pipe read, so as many workers as CPUs pinned every carrier and the service
 * stopped answering after about a minute of idleness.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IdleServiceIT {

    /** "Promptly": a healthy server answers in milliseconds; a starved one never does. */
    private static final Duration PROMPT = Duration.ofSeconds(10);

    /** Longer than the 45–75 s after which the starved service stopped answering. */
    private static final Duration IDLE = Duration.ofSeconds(90);

    private static final List<String> TWO_CPUS = List.of("-XX:ActiveProcessorCount=2");

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(PROMPT).build();

    private static final List<ServerProcess> servers = new ArrayList<>();

    @BeforeAll
    static void startServers() throws Exception {
        Path data = Path.of("target", "it-data", "idle-" + System.nanoTime());
        // Started side by side so that the idle spell below is spent once for both.
        CompletableFuture<ServerProcess> defaultSize = CompletableFuture.supplyAsync(() -> start(data.resolve("default"), Map.of()));
        CompletableFuture<ServerProcess> fourWorkers = CompletableFuture.supplyAsync(() -> start(data.resolve("four"), Map.of("JOBPOOL_POOL_SIZE", "4")));
        servers.add(defaultSize.join());
        servers.add(fourWorkers.join());
        for (ServerProcess server : servers) {
            ApiClient api = new ApiClient(server.port());
            Await.until("all workers of the server on port " + server.port() + " ready", Duration.ofSeconds(60),
                    () -> api.get("/v1/pool").json().get("workers").valueStream().allMatch(w -> w.get("state").asString().equals("IDLE")));
        }
        assertThat(new ApiClient(servers.get(0).port()).get("/v1/pool").json().get("size").asInt())
                .as("default pool size is the CPU count the server sees").isEqualTo(2);
    }

    private static ServerProcess start(Path data, Map<String, String> environment) {
        try {
            return ServerProcess.start(data, environment, TWO_CPUS);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void stopServers() {
        servers.forEach(ServerProcess::close);
    }

    @Test
    @Order(1)
    void answersAfterLongIdleSpell() throws Exception {
        for (ServerProcess server : servers) {
            assertThat(new ApiClient(server.port()).run("{\"task\":\"square\",\"args\":[3]}", 30).get("result").asInt()).isEqualTo(9);
        }
        // The idle time itself is what is tested: no request of any kind reaches either server.
        Thread.sleep(IDLE.toMillis());
        for (ServerProcess server : servers) {
            assertAnswersPromptly(server);
            HttpResponse<String> applied = send(server, HttpRequest.newBuilder(api(server, "/v1/jobs?wait=30"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"task\":\"square\",\"args\":[4]}")), Duration.ofSeconds(30));
            assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
            assertThat(applied.body()).contains("\"result\":16");
        }
    }

    @Test
    @Order(2)
    void answersWhileEveryWorkerIsBusy() {
        for (ServerProcess server : servers) {
            ApiClient api = new ApiClient(server.port());
            int size = api.get("/v1/pool").json().get("size").asInt();
            List<String> sleeps = IntStream.range(0, size)
                    .mapToObj(i -> api.submit("{\"task\":\"sleep\",\"args\":[60]}").get("id").asString()).toList();
            Await.until("every worker busy on port " + server.port(), Duration.ofSeconds(30),
                    () -> api.get("/v1/jobs?status=RUNNING&task=sleep").json().get("items").size() == size);
            assertAnswersPromptly(server);
            sleeps.forEach(id -> assertThat(api.post("/v1/jobs/" + id + "/cancel", null).status()).isEqualTo(200));
        }
    }

    @Test
    @Order(3)
    void answersWhileWorkersPrintWithoutPause() throws Exception {
        String lines = IntStream.range(0, 2_000).mapToObj(i -> "\"" + "x".repeat(100) + i + "\"")
                .reduce((a, b) -> a + "," + b).orElseThrow();
        String print = "{\"task\":\"print\",\"args\":[" + lines + "]}";
        for (ServerProcess server : servers) {
            ApiClient api = new ApiClient(server.port());
            int size = api.get("/v1/pool").json().get("size").asInt();
            AtomicBoolean printing = new AtomicBoolean(true);
            // Keeps every worker printing: a bounded number of jobs, a few queued beyond the pool.
            Thread submitter = Thread.ofPlatform().name("print-submitter").start(() -> {
                for (int i = 0; i < 400 && printing.get(); i++) {
                    if (api.get("/v1/jobs?status=QUEUED&task=print").json().get("items").size() < size) {
                        api.submit(print);
                    }
                }
            });
            try {
                Await.until("every worker printing on port " + server.port(), Duration.ofSeconds(30),
                        () -> api.get("/v1/jobs?status=RUNNING&task=print").json().get("items").size() == size);
                for (int round = 0; round < 5; round++) {
                    assertAnswersPromptly(server);
                }
            } finally {
                printing.set(false);
                submitter.join(Duration.ofSeconds(60));
            }
            Await.until("print jobs drained on port " + server.port(), Duration.ofSeconds(60),
                    () -> api.get("/v1/jobs?status=RUNNING&task=print").json().get("items").isEmpty()
                            && api.get("/v1/jobs?status=QUEUED&task=print").json().get("items").isEmpty());
            assertThat(api.get("/v1/jobs?status=FAILED&task=print").json().get("items")).as("print jobs that failed").isEmpty();
        }
    }

    /** Liveness on the management port and the pool on the API port, each within {@link #PROMPT}. */
    private static void assertAnswersPromptly(ServerProcess server) {
        URI liveness = URI.create("http://127.0.0.1:" + server.managementPort() + "/actuator/health/liveness");
        assertThat(send(server, HttpRequest.newBuilder(liveness), PROMPT).statusCode()).isEqualTo(200);
        assertThat(send(server, HttpRequest.newBuilder(api(server, "/v1/pool")), PROMPT).statusCode()).isEqualTo(200);
    }

    private static URI api(ServerProcess server, String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static HttpResponse<String> send(ServerProcess server, HttpRequest.Builder request, Duration timeout) {
        HttpRequest built = request.timeout(timeout).build();
        try {
            return HTTP.send(built, HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            return fail("%s %s got no answer within %s; server log:%n%s", built.method(), built.uri(), timeout, server.tail());
        } catch (IOException e) {
            return fail("%s %s failed: %s", built.method(), built.uri(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted");
        }
    }
}
