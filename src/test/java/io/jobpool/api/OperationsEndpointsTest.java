package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.RawHttp;
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
        HttpResponse<String> health = fetch(managementPort, "/actuator/health");
        assertThat(health.statusCode()).isEqualTo(200);
        // Free space is the store's disk's: the data directory, not the working directory.
        assertThat(health.body()).contains("\"diskSpace\"", java.nio.file.Path.of("target", "test-data").toString());
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

    /**
     * What a client gets wrong on the management port (a probe with a stray query string, a
     * scanner's odd path or method) is a problem detail as on the API port: never a 500 (Spring
     * Security's firewall threw on a bad %-escape), Tomcat's HTML page or Spring's default JSON.
     */
    @Test
    void theManagementPortRefusesBadRequestsWithProblems() throws Exception {
        String[][] cases = {
                {"GET /actuator/health?%zz", "400"}, {"GET /actuator/health/liveness?%ff", "400"},
                {"GET /actuator/health/readiness?a=%C0%AF", "400"}, {"GET /actuator/prometheus?%zz", "400"},
                {"GET /actuator/health?=x", "400"}, {"GET /actuator/health/%zz", "400"},
                {"GET /actuator/health/..%2f..%2fx", "400"}, {"GET /actuator/health/nope", "404"}, {"GET /nothing", "404"},
                {"GET /actuator/health/x/y", "404"}, {"GET /actuator/health/nope/db", "404"}, {"GET /actuator/health/x/y/z", "404"},
                {"GET /error", "404"}, {"POST /error", "404"}, {"DELETE /error", "404"},
                {"FOO /actuator/health", "405"}, {"TRACE /actuator/health", "405"}, {"POST /actuator/health", "405"}};
        for (String[] c : cases) {
            RawHttp.Response response = RawHttp.send(managementPort, c[0] + " HTTP/1.1", null, 5000);
            assertThat(response.status()).as(c[0]).isEqualTo(Integer.parseInt(c[1]));
            assertThat(response.contentType()).as(c[0]).startsWith("application/problem+json");
            assertThat(response.text()).as(c[0]).contains("\"status\":" + c[1]);
        }
        RawHttp.Response garbage = RawHttp.send(managementPort, "HELLO", null, 5000);
        assertThat(garbage.status()).isEqualTo(400);
        assertThat(garbage.contentType()).startsWith("application/problem+json");
        RawHttp.Response bigHeader = RawHttp.send(managementPort, "GET /actuator/health HTTP/1.1\r\nX-Big: " + "a".repeat(20_000),
                null, 5000);
        assertThat(bigHeader.status()).isEqualTo(431);
        assertThat(bigHeader.contentType()).startsWith("application/problem+json");
        assertThat(fetch(managementPort, "/actuator/health/liveness").statusCode()).as("still answering").isEqualTo(200);
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

    /**
     * Every series the design names is there before anything happened to it, at zero: each
     * registered task's counters and histograms, every worker restart reason. Dashboards and
     * {@code absent()} alerts built on a fresh server see them all.
     */
    @Test
    void everyTaskAndRestartReasonHasItsSeriesBeforeItsFirstEvent() throws Exception {
        String metrics = fetch(managementPort, "/actuator/prometheus").body();
        for (String task : api.get("/v1/tasks").json().get("tasks").findValuesAsString("name")) {
            String label = "task=\"" + task + "\"";
            assertThat(metrics).as(task).containsPattern("jobpool_jobs_submitted_total\\{" + label + "}")
                    .containsPattern("jobpool_job_duration_seconds_count\\{" + label + "}")
                    .containsPattern("jobpool_job_queue_wait_seconds_count\\{" + label + "}")
                    .containsPattern("jobpool_leftover_processes_killed_total\\{" + label + "}");
            for (String outcome : new String[] {"succeeded", "failed", "cancelled"}) {
                assertThat(metrics).containsPattern("jobpool_jobs_completed_total\\{outcome=\"" + outcome + "\"," + label + "}");
            }
        }
        for (String reason : io.jobpool.pool.PoolListener.RESTART_REASONS) {
            assertThat(metrics).containsPattern("jobpool_worker_restarts_total\\{reason=\"" + reason + "\",runtime=\"java\"}");
        }
    }

    /** A job delayed an hour takes a place in the queue but is not depth to scale on or alert about. */
    @Test
    void theQueueDepthLeavesOutJobsNotDueYet() throws Exception {
        double before = queueDepth();
        String id = api.submit("{\"task\":\"echo\",\"delaySeconds\":3600}").get("id").asString();
        try {
            assertThat(api.get("/v1/jobs/" + id).json().get("status").asString()).isEqualTo("QUEUED");
            assertThat(queueDepth()).isEqualTo(before);
            assertThat(api.get("/v1/pool").json().get("queued").asLong()).as("GET /v1/pool counts it queued").isPositive();
        } finally {
            api.post("/v1/jobs/" + id + "/cancel", null);
        }
    }

    private double queueDepth() throws Exception {
        java.util.regex.Matcher value = java.util.regex.Pattern.compile("(?m)^jobpool_queue_depth(?:\\{[^}]*})? (\\S+)$")
                .matcher(fetch(managementPort, "/actuator/prometheus").body());
        assertThat(value.find()).as("jobpool_queue_depth is exported").isTrue();
        return Double.parseDouble(value.group(1));
    }

    private HttpResponse<String> fetch(int onPort, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + onPort + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
