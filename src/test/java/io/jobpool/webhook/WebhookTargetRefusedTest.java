package io.jobpool.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/** Tests for the SSRF guard at submit, with the default settings (private targets refused). */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "jobpool.pool.size=1",
        "management.server.port=0"})
@DirtiesContext
class WebhookTargetRefusedTest {

    @TempDir
    static Path data;

    @LocalServerPort
    int port;

    private ApiClient api;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("jobpool.data-dir", () -> data.toAbsolutePath().toString());
    }

    @BeforeEach
    void client() {
        api = new ApiClient(port);
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1/hook", "http://localhost:8080/hook", "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/hook", "http://10.1.2.3/hook", "http://192.168.0.10/hook", "http://0x7f000001/hook",
            "http://2130706433/hook", "http://localhost./hook"})
    void aCallbackToANonPublicAddressIs422WebhookTargetRefused(String url) {
        ApiClient.Response response = api.post("/v1/jobs", "{\"task\":\"square\",\"args\":[3],\"callbackUrl\":\"" + url + "\"}");

        assertThat(response.status()).isEqualTo(422);
        JsonNode problem = response.json();
        assertThat(problem.get("type").asString()).isEqualTo("webhook-target-refused");
        assertThat(problem.get("detail").asString()).startsWith("callbackUrl " + url + " is refused: ");
        assertThat(problem.get("errors").get(0).get("field").asString()).isEqualTo("callbackUrl");
    }

    @Test
    void anErrorCallbackToTheMetadataAddressIsRefusedToo() {
        ApiClient.Response response = api.post("/v1/jobs",
                "{\"task\":\"fail\",\"args\":[\"x\"],\"errorCallbackUrl\":\"http://169.254.169.254/latest\"}");

        assertThat(response.status()).isEqualTo(422);
        assertThat(response.json().get("errors").get(0).get("message").asString()).contains("link-local (cloud metadata)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"file:/etc/passwd", "ftp://example.com/hook"})
    void aCallbackThatIsNotHttpIsRefused(String url) {
        ApiClient.Response response = api.post("/v1/jobs", "{\"task\":\"square\",\"args\":[3],\"callbackUrl\":\"" + url + "\"}");

        // The request's shape check refuses these before the guard would (which refuses them too).
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().get("type").asString()).isEqualTo("validation");
        assertThat(response.json().get("errors").get(0).get("field").asString()).isEqualTo("callbackUrl");
    }
}
