package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import io.jobpool.testing.ServiceTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Tests for {@code /v1/pool}: the workers, live resizing, close and open, and the workers' environment. */
class PoolApiTest extends ServiceTest {

    @Test
    void poolListsItsWorkerProcesses() {
        JsonNode pool = Await.until("two live workers ready", Duration.ofSeconds(10), () -> api.get("/v1/pool").json(),
                p -> p.get("workers").size() == 2 && p.get("workers").findValuesAsString("state").stream().noneMatch("STARTING"::equals)
                        && p.get("workers").findValues("pid").stream().allMatch(pid -> ProcessHandle.of(pid.asLong()).isPresent()));
        assertThat(pool.get("size").asInt()).isEqualTo(2);
        assertThat(pool.get("authentication").asString()).isEqualTo("disabled");
        for (JsonNode worker : pool.get("workers")) {
            long pid = worker.get("pid").asLong();
            assertThat(ProcessHandle.of(pid)).isPresent();
            assertThat(ProcessHandle.of(pid).get().parent().map(ProcessHandle::pid)).contains(ProcessHandle.current().pid());
            assertThat(worker.get("rssBytes").asLong()).isPositive();
        }
    }

    @Test
    void resizeGrowsAndShrinksThePoolLive() {
        try {
            assertThat(api.put("/v1/pool", "{\"size\":3}").json().get("size").asInt()).isEqualTo(3);
            Await.until("three workers", Duration.ofSeconds(15), () -> readyWorkers() == 3);
            api.put("/v1/pool", "{\"size\":1}");
            Await.until("one worker", Duration.ofSeconds(15), () -> api.get("/v1/pool").json().get("workers").size() == 1);
            assertThat(api.run("{\"task\":\"square\",\"args\":[3]}", 10).get("result").asInt()).isEqualTo(9);
        } finally {
            api.put("/v1/pool", "{\"size\":2}");
            Await.until("two workers again", Duration.ofSeconds(15), () -> readyWorkers() == 2);
        }
        assertThat(api.raw("PUT", "/v1/pool", "{\"size\":0}", java.util.Map.of("Content-Type", "application/json")).status()).isEqualTo(400);
    }

    @Test
    void closedPoolRefusesNewJobsAndOpenAcceptsThemAgain() {
        try {
            assertThat(api.post("/v1/pool/close", null).json().get("accepting").asBoolean()).isFalse();
            ApiClient.Response refused = api.post("/v1/jobs", "{\"task\":\"echo\"}");
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.json().get("type").asString()).isEqualTo("pool-closed");
        } finally {
            assertThat(api.post("/v1/pool/open", null).json().get("accepting").asBoolean()).isTrue();
        }
        assertThat(api.run("{\"task\":\"echo\"}", 10).get("status").asString()).isEqualTo("SUCCEEDED");
    }

    @Test
    void workersSeeAScrubbedEnvironment() throws Exception {
        Path environment = Await.until("a live worker", Duration.ofSeconds(10),
                () -> Path.of("/proc", api.get("/v1/pool").json().get("workers").get(0).get("pid").asString(), "environ"),
                Files::isReadable);
        String environ = Files.readString(environment);
        Set<String> names = Arrays.stream(environ.split("\u0000")).filter(e -> e.contains("="))
                .map(e -> e.substring(0, e.indexOf('='))).collect(Collectors.toSet());
        // JOBPOOL_WORKER_MARKER is no secret: the pool's own tag for finding the worker's processes.
        assertThat(names).isSubsetOf("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "JOBPOOL_WORKER_MARKER");
        assertThat(System.getenv()).as("the test runs with variables a worker must not see").isNotEmpty();
    }

    private int readyWorkers() {
        JsonNode workers = api.get("/v1/pool").json().get("workers");
        int ready = 0;
        for (JsonNode worker : workers) {
            ready += Set.of("IDLE", "BUSY").contains(worker.get("state").asString()) ? 1 : 0;
        }
        return workers.size() == ready ? ready : -1;
    }
}
