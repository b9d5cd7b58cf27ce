package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ServiceTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalManagementPort;

/**
 * Tests for what operators use: health probes and the metric names dashboards read, on the
 * management port only; the API port serves no Actuator endpoint at all.
 */
class OperationsEndpointsTest extends ServiceTest {

    @LocalManagementPort
    int managementPort;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void probesAnswerOnTheManagementPort() throws Exception {
        assertThat(fetch(managementPort, "/actuator/health/liveness").statusCode()).isEqualTo(200);
        HttpResponse<String> readiness = fetch(managementPort, "/actuator/health/readiness");
        assertThat(readiness.statusCode()).isEqualTo(200);
        assertThat(readiness.body()).contains("\"pool\"", "\"db\"");
        assertThat(fetch(managementPort, "/actuator/health").statusCode()).isEqualTo(200);
    }

    @Test
    void theManagementPortExposesHealthAndPrometheusOnly() throws Exception {
        for (String endpoint : new String[] {"info", "metrics", "env", "beans", "configprops", "loggers", "heapdump",
                "threaddump", "mappings", "conditions", "scheduledtasks", "shutdown"}) {
            assertThat(fetch(managementPort, "/actuator/" + endpoint).statusCode()).as(endpoint).isEqualTo(404);
        }
        assertThat(fetch(managementPort, "/actuator").body()).contains("health", "prometheus")
                .doesNotContain("\"info\"", "\"metrics\"", "\"env\"");
    }

    @Test
    void theApiPortServesNoActuator() throws Exception {
        for (String path : new String[] {"/actuator", "/actuator/health", "/actuator/health/readiness", "/actuator/prometheus",
                "/actuator/info", "/actuator/metrics", "/actuator/env", "/livez", "/readyz"}) {
            HttpResponse<String> response = fetch(port, path);
            assertThat(response.statusCode()).as(path).isEqualTo(404);
            assertThat(response.headers().firstValue("content-type").orElse("")).as(path).startsWith("application/problem+json");
        }
    }

    @Test
    void prometheusExposesTheMetricNamesOfTheDesign() throws Exception {
        api.run("{\"task\":\"square\",\"args\":[2]}", 10);
        api.run("{\"task\":\"fail\"}", 10);
        String metrics = fetch(managementPort, "/actuator/prometheus").body();
        assertThat(metrics).contains(
                "jobpool_jobs_submitted_total{", "task=\"square\"",
                "jobpool_jobs_completed_total{", "outcome=\"succeeded\"", "outcome=\"failed\"",
                "jobpool_job_duration_seconds_bucket{",
                "jobpool_job_queue_wait_seconds_bucket{",
                "jobpool_queue_depth",
                "jobpool_workers{", "state=\"idle\"",
                "jobpool_webhook_deliveries_pending");
        assertThat(metrics).doesNotContainPattern("job_id|jobId=");
    }

    private HttpResponse<String> fetch(int onPort, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + onPort + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
