package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.Await;
import io.jobpool.testing.Postgres;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Tests the whole service on a real PostgreSQL server instead of H2: migrations, single-statement
 * SKIP LOCKED claims, compare-and-set transitions, waiting and cancel, over HTTP.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "jobpool.pool.size=2", "jobpool.tasks.diagnostics=true", "management.server.port=0"})
class PostgresServiceTest {

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> Postgres.serviceUrl("jobpool_service_test"));
        registry.add("spring.datasource.username", () -> "postgres");
        registry.add("spring.datasource.password", () -> "postgres");
    }

    @Test
    void jobsRunFailAndCancelOnPostgres() {
        ApiClient api = new ApiClient(port);
        assertThat(api.run("{\"task\":\"square\",\"args\":[9]}", 20).get("result").asInt()).isEqualTo(81);
        JsonNode failed = api.run("{\"task\":\"fail\",\"args\":[\"on postgres\"]}", 20);
        assertThat(failed.get("error").get("message").asString()).isEqualTo("on postgres");
        JsonNode lost = api.run("{\"task\":\"exit\",\"args\":[5]}", 20);
        assertThat(lost.get("error").get("type").asString()).isEqualTo("WorkerLostError");

        String running = api.submit("{\"task\":\"sleep\",\"args\":[30]}").get("id").asString();
        Await.until("the sleep running", Duration.ofSeconds(15),
                () -> api.get("/v1/jobs/" + running).json().get("status").asString().equals("RUNNING"));
        assertThat(api.post("/v1/jobs/" + running + "/cancel", null).json().get("status").asString()).isEqualTo("CANCELLED");

        JsonNode page = api.get("/v1/jobs?task=square").json();
        assertThat(page.get("items").findValuesAsString("task")).containsOnly("square");
    }
}
