package io.jobpool.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An HTTP client for tests that checks every exchange against {@code openapi.yaml}: a response the
 * specification does not allow fails the test, so the file cannot drift from the service. Requests
 * a test sends malformed on purpose are sent with {@link #raw} and only their response is checked.
 */
public final class ApiClient {

    public static final JsonMapper JSON = JsonMapper.builder().build();

    private static final OpenApiInteractionValidator VALIDATOR = OpenApiInteractionValidator
            .createForSpecificationUrl(specification().toUri().toString())
            // A job that printed nothing has an empty text/plain log; the validator cannot express
            // "empty string body", so that one message is ignored (JSON bodies are checked below).
            .withLevelResolver(LevelResolver.create()
                    .withLevel("validation.response.body.missing", ValidationReport.Level.IGNORE).build())
            .build();

    /** Operations ({@code "GET /v1/jobs/{id}"} form is not known here; method and concrete path are). */
    private static final Set<String> EXCHANGED = ConcurrentHashMap.newKeySet();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    public ApiClient(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    private static Path specification() {
        Path here = Path.of("").toAbsolutePath();
        while (here != null && !here.resolve("openapi.yaml").toFile().exists()) {
            here = here.getParent();
        }
        if (here == null) {
            throw new IllegalStateException("openapi.yaml not found above " + Path.of("").toAbsolutePath());
        }
        return here.resolve("openapi.yaml");
    }

    public Response get(String path) {
        return send("GET", path, null, Map.of(), true);
    }

    public Response get(String path, Map<String, String> headers) {
        return send("GET", path, null, headers, true);
    }

    public Response post(String path, String json) {
        return send("POST", path, json, Map.of(), true);
    }

    public Response post(String path, String json, Map<String, String> headers) {
        return send("POST", path, json, headers, true);
    }

    public Response put(String path, String json) {
        return send("PUT", path, json, Map.of(), true);
    }

    public Response delete(String path) {
        return send("DELETE", path, null, Map.of(), true);
    }

    /** Sends a request with headers (an API key, say); request and response are checked. */
    public Response exchange(String method, String path, String body, Map<String, String> headers) {
        return send(method, path, body, headers, true);
    }

    /** Sends a request the specification may not allow (a bad one on purpose); checks only the response. */
    public Response raw(String method, String path, String body, Map<String, String> headers) {
        return send(method, path, body, headers, false);
    }

    /** A request to a path the specification does not have (an unknown URL); nothing can be validated. */
    public Response outsideSpecification(String method, String path) {
        return outsideSpecification(method, path, Map.of());
    }

    /** The same with headers (a HEAD, which the specification leaves to HTTP, with a key). */
    public Response outsideSpecification(String method, String path, Map<String, String> headers) {
        return send(method, path, null, headers, null);
    }

    /** Submits a job and returns its JSON (202 or 200). */
    public JsonNode submit(String json) {
        Response response = post("/v1/jobs", json);
        assertThat(response.status()).as(response.body()).isIn(200, 202);
        return response.json();
    }

    /** Submits and waits up to {@code seconds} for the job to finish. */
    public JsonNode run(String json, int seconds) {
        Response response = post("/v1/jobs?wait=" + seconds, json);
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response.json();
    }

    /** Long-polls until the job is ready, failing after {@code seconds}. */
    public JsonNode awaitReady(String id, int seconds) {
        JsonNode job = get("/v1/jobs/" + id + "?wait=" + seconds).json();
        assertThat(job.get("ready").asBoolean()).as("job %s ready within %d s: %s", id, seconds, job).isTrue();
        return job;
    }

    private Response send(String method, String path, String body, Map<String, String> headers, Boolean validateRequest) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120));
        if (body != null && !headers.containsKey("Content-Type")) {
            request.header("Content-Type", "application/json");
        }
        headers.forEach(request::header);
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        Response result = new Response(response.statusCode(), response.headers().map(), response.body());
        if (validateRequest != null) {
            validate(method, path, body, headers, validateRequest, result);
        }
        EXCHANGED.add(method + " " + path.replaceAll("\\?.*", "") + " " + result.status());
        return result;
    }

    private static void validate(String method, String path, String body, Map<String, String> headers, boolean validateRequest,
            Response response) {
        URI uri = URI.create(path);
        SimpleRequest.Builder request = new SimpleRequest.Builder(method, uri.getPath());
        queryParameters(uri).forEach(request::withQueryParam);
        if (body != null) {
            request.withBody(body).withContentType(headers.getOrDefault("Content-Type", "application/json"));
        }
        headers.forEach((name, value) -> request.withHeader(name, value));
        SimpleResponse.Builder builder = SimpleResponse.Builder.status(response.status());
        response.headers().forEach((name, values) -> builder.withHeader(name, values));
        if (!response.body().isEmpty()) {
            builder.withBody(response.body());
        }
        String contentType = response.header("content-type");
        if (contentType != null && contentType.contains("json") && response.status() != 204) {
            assertThat(response.body()).as("%s %s answered %d with an empty JSON body", method, path, response.status()).isNotEmpty();
        }
        ValidationReport report = validateRequest
                ? VALIDATOR.validate(request.build(), builder.build())
                : VALIDATOR.validateResponse(uri.getPath(), Request.Method.valueOf(method), builder.build());
        assertThat(report.getMessages()).filteredOn(message -> message.getLevel() != ValidationReport.Level.IGNORE)
                .as("%s %s -> %d %s does not match openapi.yaml", method, path, response.status(), response.body())
                .isEmpty();
    }

    private static Map<String, List<String>> queryParameters(URI uri) {
        Map<String, List<String>> parameters = new LinkedHashMap<>();
        if (uri.getRawQuery() == null) {
            return parameters;
        }
        for (String pair : uri.getRawQuery().split("&")) {
            String[] parts = pair.split("=", 2);
            parameters.put(URLDecoder.decode(parts[0], StandardCharsets.UTF_8),
                    List.of(parts.length > 1 ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : ""));
        }
        return parameters;
    }

    /** {@code "METHOD /path status"} (no query) of every exchange made so far in this JVM. */
    public static Set<String> exchanged() {
        return Set.copyOf(EXCHANGED);
    }

    /** A response; {@link #json()} parses the body. */
    public record Response(int status, Map<String, List<String>> headers, String body) {

        public JsonNode json() {
            return JSON.readTree(body);
        }

        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().getFirst()).findFirst().orElse(null);
        }
    }
}
