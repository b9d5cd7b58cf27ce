package io.jobpool.python;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import tools.jackson.databind.JsonNode;

/** What a Python pool that cannot boot shows: its bootError on {@code GET /v1/pool}, and readiness down saying why. */
final class PythonBootFailure {

    private PythonBootFailure() {}

    /** Waits for the Python pool's boot error and checks that it and the readiness answer (503) contain {@code expected}. */
    static void assertReported(ApiClient api, int managementPort, String... expected) throws Exception {
        JsonNode python = Await.until("python boot error reported", Duration.ofSeconds(30), () -> {
            for (JsonNode pool : api.get("/v1/pool").json().get("pools")) {
                if (pool.get("runtime").asString().equals("python") && !pool.get("bootError").isNull()) {
                    return pool;
                }
            }
            return null;
        }, pool -> pool != null);
        assertThat(python.get("bootError").asString()).contains("code 78").contains(expected);

        HttpResponse<String> readiness = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + managementPort + "/actuator/health/readiness")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(readiness.statusCode()).isEqualTo(503);
        assertThat(readiness.body()).contains(expected[expected.length - 1]);
    }
}
