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
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Tests that the server's secrets (API keys and their hashes, both webhook secrets, the database
 * password), given to the built jar through environment variables and system properties, reach
 * neither its worker processes nor any log line (with DEBUG logging) nor any response.
 */
class SecretsIT {

    private static final String ADMIN_KEY = "jp-admin-" + UUID.randomUUID();
    private static final String CI_KEY = "jp-ci-" + UUID.randomUUID();
    private static final String WRONG_KEY = "jp-wrong-" + UUID.randomUUID();
    private static final String WEBHOOK_SECRET = "whsec_" + random(32);
    private static final String SECONDARY_SECRET = "whsec_" + random(32);
    private static final String DB_PASSWORD = "db-" + UUID.randomUUID();

    private static ServerProcess server;
    private static final List<String> responses = new ArrayList<>();

    @BeforeAll
    static void start() throws IOException {
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("JOBPOOL_WEBHOOKS_SECRET", WEBHOOK_SECRET);
        environment.put("SPRING_DATASOURCE_PASSWORD", DB_PASSWORD);
        environment.put("JOBPOOL_TASKS_DIAGNOSTICS", "true");
        environment.put("JOBPOOL_POOL_SIZE", "1");
        environment.put("JOBPOOL_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true");
        environment.put("JOBPOOL_WEBHOOKS_RETRY_SCHEDULE", "0s");
        environment.put("LOGGING_LEVEL_ROOT", "DEBUG");
        environment.put("LOGGING_LEVEL_IO_JOBPOOL", "TRACE");
        environment.put("LOGGING_LEVEL_ORG_SPRINGFRAMEWORK_SECURITY", "TRACE");
        // Bean creation and auto-configuration reports are most of DEBUG's volume and print no values.
        environment.put("LOGGING_LEVEL_ORG_SPRINGFRAMEWORK_BEANS", "INFO");
        environment.put("LOGGING_LEVEL_ORG_SPRINGFRAMEWORK_BOOT_AUTOCONFIGURE", "INFO");
        List<String> properties = List.of(
                "-Djobpool.security.api-keys[0].name=admin",
                "-Djobpool.security.api-keys[0].sha256=" + AuthMatrixTest.sha256(ADMIN_KEY),
                "-Djobpool.security.api-keys[0].roles=admin",
                "-Djobpool.security.api-keys[1].name=ci",
                "-Djobpool.security.api-keys[1].sha256=" + AuthMatrixTest.sha256(CI_KEY),
                "-Djobpool.security.api-keys[1].roles=submit,read",
                "-Djobpool.webhooks.secondary-secret=" + SECONDARY_SECRET);
        server = ServerProcess.start(Path.of("target", "it-data", "secrets-" + System.nanoTime()), environment, properties,
                Duration.ofSeconds(300));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static List<String> secrets() {
        return List.of(ADMIN_KEY, CI_KEY, WRONG_KEY, AuthMatrixTest.sha256(ADMIN_KEY), AuthMatrixTest.sha256(CI_KEY),
                WEBHOOK_SECRET, WEBHOOK_SECRET.substring("whsec_".length()), SECONDARY_SECRET,
                SECONDARY_SECRET.substring("whsec_".length()), DB_PASSWORD);
    }

    @Test
    void workersSeeNoSecretAndNoOutputCarriesOne() throws Exception {
        ApiClient api = new ApiClient(server.port());
        Map<String, String> ci = Map.of("Authorization", "Bearer " + CI_KEY);
        Map<String, String> admin = Map.of("Authorization", "Bearer " + ADMIN_KEY);

        JsonNode dump = record(api.exchange("POST", "/v1/jobs?wait=60", "{\"task\":\"environment\"}", ci)).json();
        assertThat(dump.get("status").asString()).as(dump.toString()).isEqualTo("SUCCEEDED");
        JsonNode seen = dump.get("result");
        assertThat(seen.get("environment").propertyNames()).as("the worker's environment is the allow-list")
                .doesNotContain("SPRING_DATASOURCE_PASSWORD", "JOBPOOL_WEBHOOKS_SECRET", "JOBPOOL_TASKS_DIAGNOSTICS");
        assertThat(seen.get("properties").propertyNames()).noneMatch(name -> name.startsWith("jobpool.") || name.startsWith("spring."));
        for (String secret : secrets()) {
            assertThat(seen.toString()).as("what task code sees").doesNotContain(secret);
        }

        // Every path: accepted, refused, unknown, failing, webhooks signed with both secrets.
        String job = record(api.exchange("POST", "/v1/jobs?wait=30",
                "{\"task\":\"echo\",\"args\":[1],\"callbackUrl\":\"http://127.0.0.1:9/hook\"}", ci)).json().get("id").asString();
        record(api.exchange("POST", "/v1/jobs?wait=30", "{\"task\":\"fail\",\"args\":[\"boom\"]}", ci));
        for (String path : List.of("/v1/jobs/" + job, "/v1/jobs/" + job + "/result", "/v1/jobs/" + job + "/logs",
                "/v1/jobs/" + job + "/deliveries", "/v1/jobs", "/v1/tasks")) {
            record(api.exchange("GET", path, null, ci));
        }
        record(api.exchange("GET", "/v1/pool", null, admin));
        record(api.exchange("GET", "/v1/pool", null, ci));
        record(api.exchange("GET", "/v1/pool", null, Map.of("Authorization", "Bearer " + WRONG_KEY)));
        record(api.exchange("GET", "/v1/jobs", null, Map.of()));
        record(api.raw("POST", "/v1/jobs", "{not json", Map.of("Content-Type", "application/json", "Authorization", "Bearer " + CI_KEY)));
        record(api.raw("POST", "/v1/jobs", "{\"task\":\"nope\"}", Map.of("Content-Type", "application/json", "Authorization", "Bearer " + CI_KEY)));
        RawHttp.Response broken = RawHttp.send(server.port(), "GET /v1/jobs?x=%zz HTTP/1.1\r\nAuthorization: Bearer " + CI_KEY, null);
        responses.add(broken.headers() + broken.text());
        RawHttp.Response tomcat = RawHttp.send(server.port(), "GET /v1/jobs/%zz HTTP/1.1\r\nAuthorization: Bearer " + WRONG_KEY, null);
        responses.add(tomcat.headers() + tomcat.text());
        // A key read from a file with its line ending: Tomcat refuses the header line (400) and
        // logged it whole, key included, at INFO the first time and at DEBUG after.
        for (int i = 0; i < 2; i++) {
            RawHttp.Response carriageReturn = RawHttp.send(server.port(), "GET /v1/tasks HTTP/1.1\r\nAuthorization: Bearer " + CI_KEY + "\r",
                    null);
            assertThat(carriageReturn.status()).isEqualTo(400);
            responses.add(carriageReturn.headers() + carriageReturn.text());
        }
        Await.until("the webhook of job " + job + " was attempted", Duration.ofSeconds(60), () ->
                !api.exchange("GET", "/v1/jobs/" + job + "/deliveries", null, ci).json().get("deliveries").get(0)
                        .get("attempts").isEmpty());
        HttpClient http = HttpClient.newHttpClient();
        for (String path : List.of("/actuator/prometheus", "/actuator/health", "/actuator/health/readiness", "/actuator")) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.managementPort() + path)).build(), HttpResponse.BodyHandlers.ofString());
            responses.add(response.headers().map() + response.body());
        }

        String log = server.log();
        assertThat(log).as("the server logged at DEBUG").contains("DEBUG");
        for (String secret : secrets()) {
            assertThat(log).as("the server log").doesNotContain(secret);
            assertThat(responses).as("the responses").noneMatch(response -> response.contains(secret));
        }
    }

    private static ApiClient.Response record(ApiClient.Response response) {
        responses.add(response.headers() + response.body());
        return response;
    }

    private static String random(int bytes) {
        byte[] value = new byte[bytes];
        new SecureRandom().nextBytes(value);
        return Base64.getEncoder().encodeToString(value);
    }
}
