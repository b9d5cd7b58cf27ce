package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.ServiceTest;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Tests that bad input gets a clear RFC 9457 problem with the right type, never a 500, and loses nothing. */
class BadInputTest extends ServiceTest {

    private static final Map<String, String> JSON = Map.of("Content-Type", "application/json");

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @CsvSource(delimiter = '|', value = {
            "{\"task\": |400|validation",
            "not json at all|400|validation",
            "[1,2,3]|400|validation",
            "{}|400|validation",
            "{\"task\":\"\"}|400|validation",
            "{\"task\":42}|400|validation",
            "{\"task\":\"echo\",\"args\":\"not-an-array\"}|400|validation",
            "{\"task\":\"echo\",\"kwargs\":[1]}|400|validation",
            "{\"task\":\"echo\",\"timeoutSeconds\":\"soon\"}|400|validation",
            "{\"task\":\"echo\",\"priority\":1.5}|400|validation",
            "{\"task\":\"echo\",\"maxRetries\":-1}|400|validation",
            "{\"task\":\"echo\",\"timeoutSeconds\":-5}|400|validation",
            "{\"task\":\"echo\",\"timeoutSeconds\":0}|400|validation",
            "{\"task\":\"echo\",\"timeoutSeconds\":1e-9}|400|validation",
            "{\"task\":\"echo\",\"timeoutSeconds\":\"5\"}|400|validation",
            "{\"task\":\"echo\",\"priority\":\"5\"}|400|validation",
            "{\"task\":\"echo\",\"maxRetries\":\"2\"}|400|validation",
            "{\"task\":\"echo\",\"delaySeconds\":\"\"}|400|validation",
            "{\"task\":\"echo\",\"timeoutSeconds\":1e30}|400|validation",
            "{\"task\":\"echo\",\"timeoutSeconds\":86400}|400|validation",
            "{\"task\":\"echo\",\"delaySeconds\":-1}|400|validation",
            "{\"task\":\"echo\",\"unknownField\":1}|400|validation",
            "{\"task\":\"echo\",\"callbackUrl\":\"not a url\"}|400|validation",
            "{\"task\":\"echo\",\"callbackUrl\":\"http://203.0.113.9:99999/hook\"}|400|validation",
            "{\"task\":\"echo\",\"errorCallbackUrl\":\"https://203.0.113.9:0/hook\"}|400|validation",
            "{\"task\":\"echo\",\"callbackUrl\":\"https://user:secret@example.com/hook\"}|400|validation",
            "{\"task\":\"no-such-task\"}|422|unknown-task"})
    void badSubmissionIsAProblemNotA500(String body, int status, String type) {
        long before = countJobs();
        ApiClient.Response response = api.raw("POST", "/v1/jobs", body, JSON);
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        assertThat(response.header("content-type")).startsWith("application/problem+json");
        assertThat(response.json().get("type").asString()).isEqualTo(type);
        assertThat(response.json().get("detail").asString()).isNotBlank();
        assertThat(countJobs()).as("a refused submission stores nothing").isEqualTo(before);
    }

    /** A body that is valid JSON but gets one field wrong, and what the problem must say about it. */
    record WrongField(String path, String body, String field, String message) {}

    static java.util.stream.Stream<WrongField> wrongFields() {
        String wholeNumber = "must be a whole number";
        String tooLarge = "must be a whole number up to 2147483647";
        String unknown = "is not a field of this request";
        return java.util.stream.Stream.of(
                new WrongField("/v1/jobs", "{\"task\":\"echo\",\"priority\":1.5}", "priority", wholeNumber),
                new WrongField("/v1/jobs", "{\"task\":\"echo\",\"maxRetries\":true}", "maxRetries", wholeNumber),
                new WrongField("/v1/jobs", "{\"task\":\"echo\",\"delaySeconds\":\"soon\"}", "delaySeconds", "must be a number"),
                new WrongField("/v1/jobs", "{\"task\":\"echo\",\"unknownField\":1}", "unknownField", unknown),
                new WrongField("/v1/batches", "{\"task\":\"square\",\"items\":[1,2],\"chunksize\":1.5}", "chunksize", wholeNumber),
                new WrongField("/v1/batches", "{\"task\":\"square\",\"items\":[1,2],\"chunksize\":\"2\"}", "chunksize", wholeNumber),
                new WrongField("/v1/batches", "{\"task\":\"add\",\"items\":[[1,2]],\"starmap\":\"true\"}", "starmap", "must be true or false"),
                new WrongField("/v1/batches", "{\"task\":\"add\",\"items\":[[1,2]],\"starmap\":1}", "starmap", "must be true or false"),
                new WrongField("/v1/batches", "{\"task\":\"square\",\"items\":[1e400,5]}", "items[0]", "contains a number too large to represent"),
                new WrongField("/v1/batches", "{\"task\":\"echo\",\"items\":[1,\"\\ud800\"]}", "items[1]",
                        "contains an unpaired UTF-16 surrogate (not valid Unicode text)"),
                new WrongField("/v1/batches", "{\"task\":\"echo\",\"items\":[{\"a\":[\"\\udc00x\"]}]}", "items[0]",
                        "contains an unpaired UTF-16 surrogate (not valid Unicode text)"),
                new WrongField("/v1/batches", "{\"task\":\"square\",\"items\":[1],\"chunksize\":2147483648}", "chunksize", tooLarge),
                new WrongField("/v1/batches", "{\"task\":\"square\",\"items\":[1],\"extra\":{}}", "extra", unknown),
                new WrongField("/v1/jobs", "", "body", "is required: a JSON object"),
                new WrongField("/v1/jobs", "[]", "body", "must be a JSON object"),
                new WrongField("/v1/jobs", "\"echo\"", "body", "must be a JSON object"),
                new WrongField("/v1/batches", "[1,2]", "body", "must be a JSON object"));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("wrongFields")
    void aWellFormedBodyWithAWrongFieldNamesTheFieldInTheApisTerms(WrongField wrong) {
        ApiClient.Response response = api.raw("POST", wrong.path(), wrong.body(), JSON);
        assertThat(response.status()).isEqualTo(400);
        JsonNode problem = response.json();
        assertThat(problem.get("type").asString()).isEqualTo("validation");
        assertThat(problem.get("errors").get(0).get("field").asString()).isEqualTo(wrong.field());
        assertThat(problem.get("errors").get(0).get("message").asString()).isEqualTo(wrong.message());
        assertThat(response.body()).as("no Java class names").doesNotContain("java.", "io.jobpool", "Integer", "coercion");
    }

    /** Broken JSON: what is wrong and where, without the parser's settings, which a client cannot change. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "{\"task\":\"echo\",\"args\":[NaN]}|/v1/jobs|Non-standard token 'NaN': NaN and Infinity are not JSON numbers (line 1, column 27)",
            "{\"task\":\"echo\",\"args\":[-Infinity]}|/v1/jobs|Non-standard token '-Infinity': NaN and Infinity are not JSON numbers",
            "{\"task\":\"square\",\"items\":[1,Infinity]}|/v1/batches|Non-standard token 'Infinity': NaN and Infinity are not JSON numbers",
            "{\"task\":\"echo\",\"args\":[+1]}|/v1/jobs|JSON spec does not allow numbers to have plus signs",
            "/* c */ {\"task\":\"echo\"}|/v1/jobs|maybe a (non-standard) comment? (line 1, column 1)",
            "{\"task\":\"echo\",\"args\":[01]}|/v1/jobs|Leading zeroes not allowed",
            "{\"task\":\"echo\",\"task\":\"fail\"}|/v1/jobs|Duplicate Object property \"task\"",
            "{\"task\":\"echo\",\"kwargs\":{\"a\":1,\"b\":2,\"a\":3}}|/v1/jobs|Duplicate Object property \"a\"",
            "{\"task\":\"echo\",\"items\":[{\"x\":1,\"x\":1}]}|/v1/batches|Duplicate Object property \"x\"",
            "{|/v1/jobs|Unexpected end-of-input: expected close marker for Object (line 1, column 2)"})
    void brokenJsonSaysWhatAndWhereWithoutTheParsersSettings(String body, String path, String message) {
        ApiClient.Response response = api.raw("POST", path, body, JSON);
        assertThat(response.status()).isEqualTo(400);
        String said = response.json().get("errors").get(0).get("message").asString();
        assertThat(said).startsWith("is not valid JSON for this request: ").contains(message)
                .doesNotContain("enable", "Feature", "ALLOW_", "`", "Source", "REDACTED");
    }

    @Test
    void aBodyWithSeveralWrongFieldsNamesEachOfThemInOneAnswer() {
        ApiClient.Response job = api.raw("POST", "/v1/jobs",
                "{\"task\":\"\",\"timeoutSeconds\":0,\"delaySeconds\":-1,\"maxRetries\":-1,\"callbackUrl\":\"ftp://x\"}", JSON);
        assertThat(job.status()).isEqualTo(400);
        assertThat(job.json().get("errors").valueStream().map(e -> e.get("field").asString()))
                .containsExactlyInAnyOrder("task", "timeoutSeconds", "delaySeconds", "maxRetries", "callbackUrl");
        assertThat(job.json().get("detail").asString()).contains("task: ", "timeoutSeconds: ", "maxRetries: ");

        ApiClient.Response batch = api.raw("POST", "/v1/batches", "{\"task\":\"square\",\"timeoutSeconds\":-1}", JSON);
        assertThat(batch.status()).isEqualTo(400);
        assertThat(batch.json().get("errors").valueStream().map(e -> e.get("field").asString()))
                .containsExactlyInAnyOrder("items", "timeoutSeconds");
    }

    @Test
    void oversizeBodyIs413() {
        String big = "{\"task\":\"echo\",\"args\":[\"" + "x".repeat(100_000) + "\"]}";
        ApiClient.Response response = api.raw("POST", "/v1/jobs", big, JSON);
        assertThat(response.status()).isEqualTo(413);
        assertThat(response.json().get("type").asString()).isEqualTo("payload-too-large");
    }

    @Test
    void oversizeArgumentsAre413() {
        String args = "{\"task\":\"echo\",\"args\":[\"" + "x".repeat(20_000) + "\"]}";
        ApiClient.Response response = api.raw("POST", "/v1/jobs", args, JSON);
        assertThat(response.status()).isEqualTo(413);
        assertThat(response.json().get("type").asString()).isEqualTo("payload-too-large");
        assertThat(response.json().get("detail").asString()).contains("jobpool.jobs.max-payload-bytes");
    }

    @Test
    void wrongContentTypeIs415() throws java.io.IOException {
        for (String path : java.util.List.of("/v1/jobs", "/v1/batches")) {
            ApiClient.Response response = api.raw("POST", path, "task=echo", Map.of("Content-Type", "text/plain"));
            assertThat(response.status()).as(path).isEqualTo(415);
            assertThat(response.json().get("type").asString()).isEqualTo("unsupported-media-type");
            assertThat(response.json().get("title").asString()).isEqualTo("Unsupported media type");
            assertThat(response.json().get("detail").asString()).contains("application/json", "'text/plain'");

            ApiClient.Response badCharset = api.raw("POST", path, "{\"task\":\"echo\"}",
                    Map.of("Content-Type", "application/json; charset=foo-bar"));
            assertThat(badCharset.status()).isEqualTo(415);
            assertThat(badCharset.json().get("detail").asString())
                    .isEqualTo("Content-Type 'application/json; charset=foo-bar' is not a valid media type; request bodies are application/json");

            io.jobpool.testing.RawHttp.Response untyped = io.jobpool.testing.RawHttp.send(port, "POST " + path + " HTTP/1.1",
                    "{\"task\":\"echo\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertThat(untyped.status()).as(path).isEqualTo(415);
            assertThat(untyped.text()).contains("\"detail\":\"the request has no Content-Type; request bodies are application/json\"");
        }
        // PUT /v1/pool too says what the client sent, not the type Spring assumed in its place.
        io.jobpool.testing.RawHttp.Response untypedResize = io.jobpool.testing.RawHttp.send(port, "PUT /v1/pool HTTP/1.1",
                "{\"size\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(untypedResize.status()).isEqualTo(415);
        assertThat(untypedResize.text()).contains("the request has no Content-Type").doesNotContain("octet-stream");
        ApiClient.Response plainResize = api.raw("PUT", "/v1/pool", "{\"size\":1}", Map.of("Content-Type", "text/plain"));
        assertThat(plainResize.json().get("detail").asString()).isEqualTo("request bodies are application/json; 'text/plain' is not accepted");
    }

    @Test
    void unknownIdIs404OnEveryJobEndpoint() {
        String id = "01a1fd74-0000-7000-8000-000000000000";
        for (String path : new String[] {"", "/ready", "/successful", "/result", "/logs"}) {
            ApiClient.Response response = api.get("/v1/jobs/" + id + path);
            assertThat(response.status()).as(path).isEqualTo(404);
            assertThat(response.json().get("type").asString()).isEqualTo("not-found");
        }
        assertThat(api.post("/v1/jobs/" + id + "/cancel", null).status()).isEqualTo(404);
        assertThat(api.delete("/v1/jobs/" + id).status()).isEqualTo(404);
    }

    /**
     * Every operation on an id refuses an id no server could have made (one Spring Security's
     * firewall rejects) with a documented 400, and every operation refuses an Accept without JSON
     * with a documented 406: each answer is checked against openapi.yaml.
     */
    @Test
    void everyOperationDocumentsItsRefusalOfAMalformedIdAndOfAnAcceptWithoutJson() {
        String job = "01a1fd74-0000-7000-8000-000000000000";
        String[][] withId = {
                {"GET", "/v1/jobs/%s"}, {"DELETE", "/v1/jobs/%s"}, {"GET", "/v1/jobs/%s/ready"}, {"GET", "/v1/jobs/%s/successful"},
                {"GET", "/v1/jobs/%s/result"}, {"POST", "/v1/jobs/%s/cancel"}, {"GET", "/v1/jobs/%s/logs"},
                {"GET", "/v1/jobs/%s/deliveries"}, {"POST", "/v1/jobs/%s/deliveries/d1/retry"}, {"GET", "/v1/batches/%s"},
                {"DELETE", "/v1/batches/%s"}, {"GET", "/v1/batches/%s/results"}, {"POST", "/v1/batches/%s/cancel"},
                {"GET", "/v1/batches/%s/deliveries"}, {"POST", "/v1/batches/%s/deliveries/d1/retry"}};
        for (String[] call : withId) {
            ApiClient.Response malformed = api.raw(call[0], String.format(call[1], "a;b"), null, Map.of());
            assertThat(malformed.status()).as("%s %s", call[0], call[1]).isEqualTo(400);
            assertThat(malformed.json().get("type").asString()).isEqualTo("validation");
        }
        java.util.List<String[]> all = new java.util.ArrayList<>();
        for (String[] call : withId) {
            all.add(new String[] {call[0], String.format(call[1], job)});
        }
        all.addAll(java.util.List.of(new String[] {"GET", "/v1/jobs"}, new String[] {"GET", "/v1/tasks"},
                new String[] {"GET", "/v1/pool"}));
        for (String[] call : all) {
            // application/problem+json is JSON too, but not what a listing is.
            for (String accept : call[1].matches("/v1/(jobs|tasks|pool)") ? java.util.List.of("text/html", "application/problem+json",
                    "application/vnd.api+json") : java.util.List.of("text/html")) {
                ApiClient.Response refused = api.raw(call[0], call[1], null, Map.of("Accept", accept));
                assertThat(refused.status()).as("%s %s with Accept %s", call[0], call[1], accept).isEqualTo(406);
                assertThat(refused.json().get("type").asString()).isEqualTo("not-acceptable");
            }
        }
    }

    /**
     * An operation that takes no body (a GET too) still refuses a form or an oversize one, and every
     * operation a malformed query string, each with a documented problem and no effect.
     */
    @Test
    void operationsWithoutABodyRefuseAFormOrOversizeBodyAndEveryOperationAMalformedQuery() {
        String job = "01a1fd74-0000-7000-8000-000000000000";
        String oversize = "{\"padding\":\"" + "x".repeat(70_000) + "\"}";
        String[][] bodiless = {
                {"DELETE", "/v1/jobs/" + job}, {"POST", "/v1/jobs/" + job + "/cancel"}, {"POST", "/v1/jobs/" + job + "/deliveries/d1/retry"},
                {"DELETE", "/v1/batches/" + job}, {"POST", "/v1/batches/" + job + "/cancel"},
                {"POST", "/v1/batches/" + job + "/deliveries/d1/retry"}, {"POST", "/v1/pool/close"},
                {"POST", "/v1/pool/open"}, {"POST", "/v1/pool/join?timeout=0"}, {"POST", "/v1/pool/terminate"},
                {"GET", "/v1/jobs"}, {"GET", "/v1/jobs/" + job}, {"GET", "/v1/jobs/" + job + "/ready"},
                {"GET", "/v1/jobs/" + job + "/successful"}, {"GET", "/v1/jobs/" + job + "/result"},
                {"GET", "/v1/jobs/" + job + "/logs"}, {"GET", "/v1/jobs/" + job + "/deliveries"}, {"GET", "/v1/tasks"},
                {"GET", "/v1/pool"}, {"GET", "/v1/batches/" + job}, {"GET", "/v1/batches/" + job + "/results"},
                {"GET", "/v1/batches/" + job + "/deliveries"}};
        for (String[] call : bodiless) {
            ApiClient.Response form = api.raw(call[0], call[1], "a=1", Map.of("Content-Type", "application/x-www-form-urlencoded"));
            assertThat(form.status()).as("%s %s with a form", call[0], call[1]).isEqualTo(415);
            ApiClient.Response tooLarge = api.raw(call[0], call[1], oversize, JSON);
            assertThat(tooLarge.status()).as("%s %s with 70 KB", call[0], call[1]).isEqualTo(413);
            assertThat(tooLarge.json().get("type").asString()).isEqualTo("payload-too-large");
        }
        for (String[] call : new String[][] {{"GET", "/v1/tasks"}, {"GET", "/v1/pool"}, {"POST", "/v1/pool/close"},
                {"POST", "/v1/pool/open"}, {"POST", "/v1/pool/terminate"}}) {
            ApiClient.Response malformed = api.raw(call[0], call[1] + "?a=1&a=2", null, Map.of());
            assertThat(malformed.status()).as("%s %s with a parameter given twice", call[0], call[1]).isEqualTo(400);
            assertThat(malformed.json().get("type").asString()).isEqualTo("validation");
        }
        JsonNode pool = api.get("/v1/pool").json();
        assertThat(pool.get("accepting").asBoolean()).as("neither closed nor terminated").isTrue();
    }

    @Test
    void aStreamOfResultsRefusesABadTimeoutAsJsonDoes() {
        String batch = api.post("/v1/batches", "{\"task\":\"square\",\"items\":[2]}").json().get("id").asString();
        for (String accept : java.util.List.of("application/json", BatchController.NDJSON)) {
            ApiClient.Response response = api.raw("GET", "/v1/batches/" + batch + "/results?timeout=abc", null, Map.of("Accept", accept));
            assertThat(response.status()).as(accept).isEqualTo(400);
            assertThat(response.json().get("type").asString()).isEqualTo("validation");
        }
    }

    @Test
    void badWaitParametersAre400() {
        assertThat(api.raw("GET", "/v1/jobs/x?wait=abc", null, Map.of()).status()).isEqualTo(400);
        assertThat(api.raw("GET", "/v1/jobs/x?wait=-1", null, Map.of()).status()).isEqualTo(400);
        assertThat(api.raw("POST", "/v1/jobs?wait=100000", "{\"task\":\"echo\"}", JSON).status()).isEqualTo(400);
        assertThat(api.raw("GET", "/v1/jobs?limit=0", null, Map.of()).status()).isEqualTo(400);
    }

    /** A misspelt parameter would change what the call means (no wait, no filter): refused as an unknown body field is. */
    @Test
    void aParameterTheEndpointDoesNotTakeIsNamedAndNothingIsSubmitted() {
        long before = api.get("/v1/jobs?limit=1000").json().get("items").size();
        ApiClient.Response response = api.raw("POST", "/v1/jobs?wiat=10", "{\"task\":\"echo\"}", JSON);
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().get("type").asString()).isEqualTo("validation");
        assertThat(response.json().get("detail").asString()).isEqualTo("wiat: is not a parameter of POST /v1/jobs; it takes wait");
        assertThat(api.get("/v1/jobs?limit=1000").json().get("items").size()).isEqualTo(before);
        assertThat(api.raw("GET", "/v1/jobs?stauts=FAILED", null, Map.of()).json().get("detail").asString())
                .isEqualTo("stauts: is not a parameter of GET /v1/jobs; it takes batch, cursor, limit, status, task");
        assertThat(api.raw("POST", "/v1/pool/close?now=1", null, Map.of()).json().get("detail").asString())
                .isEqualTo("now: is not a parameter of POST /v1/pool/close, which takes none");
    }

    @Test
    void poolResizeRefusesWrongMediaTypeAndOversizeBodies() {
        assertThat(api.raw("PUT", "/v1/pool", "size=3", Map.of("Content-Type", "text/plain")).status()).isEqualTo(415);
        String huge = "{\"size\":2,\"padding\":\"" + "x".repeat(100_000) + "\"}";
        ApiClient.Response tooLarge = api.raw("PUT", "/v1/pool", huge, JSON);
        assertThat(tooLarge.status()).isEqualTo(413);
        assertThat(tooLarge.json().get("type").asString()).isEqualTo("payload-too-large");
    }

    @Test
    void badResultTimeoutIs400() {
        ApiClient.Response response = api.raw("GET", "/v1/jobs/01a1fd74-0000-7000-8000-000000000000/result?timeout=-1", null, Map.of());
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().get("type").asString()).isEqualTo("validation");
    }

    @Test
    void anAcceptThatRulesOutJsonIs406BeforeAnythingHappens() {
        String queued = api.submit("{\"task\":\"echo\",\"delaySeconds\":3600}").get("id").asString();
        int size = api.get("/v1/pool").json().get("size").asInt();
        long jobs = countJobs();
        try {
            // q=0 refuses a range (RFC 9110): JSON refused outright, or every range refused.
            for (String accept : java.util.List.of("application/xml", "text/html", ";;;", "text/html;q=1, application/json;q=0",
                    "*/*;q=0", "application/json;q=0.0", "application/json;q=-0", "application/json;q=.0",
                    // More ranges than negotiation reads: refused, the detail says why.
                    "a/b,".repeat(50) + "application/json")) {
                Map<String, String> headers = Map.of("Content-Type", "application/json", "Accept", accept);
                for (String[] call : new String[][] {
                        {"POST", "/v1/jobs", "{\"task\":\"echo\"}"},
                        {"POST", "/v1/batches", "{\"task\":\"square\",\"items\":[1,2]}"},
                        {"POST", "/v1/jobs/" + queued + "/cancel", null},
                        {"POST", "/v1/batches/01a1fd74-0000-7000-8000-000000000000/cancel", null},
                        {"POST", "/v1/jobs/" + queued + "/deliveries/unknown/retry", null},
                        {"PUT", "/v1/pool", "{\"size\":" + (size + 1) + "}"},
                        {"POST", "/v1/pool/close", null},
                        {"POST", "/v1/pool/open", null},
                        {"POST", "/v1/pool/join?timeout=0", null},
                        {"POST", "/v1/pool/terminate", null}}) {
                    ApiClient.Response response = api.raw(call[0], call[1], call[2], headers);
                    assertThat(response.status()).as("%s %s with Accept %s", call[0], call[1], accept).isEqualTo(406);
                    assertThat(response.json().get("type").asString()).isEqualTo("not-acceptable");
                }
            }
            ApiClient.Response many = api.raw("POST", "/v1/jobs", "{\"task\":\"echo\"}",
                    Map.of("Content-Type", "application/json", "Accept", "a/b,".repeat(50) + "application/json"));
            assertThat(many.json().get("detail").asString()).isEqualTo("the Accept header lists 51 media ranges; at most 50 are read");
            // Empty elements are no ranges (RFC 9110, 5.6.1).
            assertThat(api.raw("GET", "/v1/tasks", null, Map.of("Accept", ",".repeat(60) + "application/json, ,")).status()).isEqualTo(200);
            assertThat(countJobs()).as("nothing submitted").isEqualTo(jobs);
            assertThat(api.get("/v1/jobs/" + queued).json().get("status").asString()).as("not cancelled").isEqualTo("QUEUED");
            JsonNode pool = api.get("/v1/pool").json();
            assertThat(pool.get("size").asInt()).as("not resized").isEqualTo(size);
            assertThat(pool.get("accepting").asBoolean()).as("neither closed nor terminated").isTrue();
            // A client that takes JSON among others is answered as usual.
            ApiClient.Response accepted = api.exchange("POST", "/v1/jobs/" + queued + "/cancel", null,
                    Map.of("Accept", "text/html, application/json;q=0.5"));
            assertThat(accepted.status()).isEqualTo(200);
            assertThat(accepted.json().get("status").asString()).isEqualTo("CANCELLED");
        } finally {
            api.post("/v1/pool/open", null);
            api.post("/v1/jobs/" + queued + "/cancel", null);
        }
    }

    /**
     * JSON is UTF-8 (RFC 8259 defines no charset parameter for it), so a charset in an Accept of
     * JSON changes nothing: the request is carried out once and answered in UTF-8. Such a request
     * was a 500 after its job was submitted or the pool changed, inviting a retry that did it again.
     */
    @Test
    void aCharsetInAnAcceptOfJsonIsAnsweredInUtf8() {
        String queued = api.submit("{\"task\":\"echo\",\"delaySeconds\":3600}").get("id").asString();
        int size = api.get("/v1/pool").json().get("size").asInt();
        try {
            for (String accept : java.util.List.of("application/json;charset=ISO-8859-1", "application/json; charset=latin1",
                    "application/json;charset=UTF-16", "application/json;charset=\"UTF-32\"", "text/html, application/json;charset=latin1;q=0.5",
                    // Not written into the answer's Content-Type: 8 KB of it made a header too large to write, a 500.
                    "application/json;foo=bar", "application/json;foo=" + "b".repeat(9000))) {
                Map<String, String> headers = Map.of("Content-Type", "application/json", "Accept", accept);
                ApiClient.Response submitted = api.exchange("POST", "/v1/jobs?wait=30", "{\"task\":\"echo\",\"args\":[\"d\u00e9j\u00e0 vu\"]}", headers);
                assertThat(submitted.status()).as("POST /v1/jobs with Accept %s: %s", accept, submitted.body()).isEqualTo(200);
                assertThat(submitted.header("content-type")).as(accept.substring(0, Math.min(60, accept.length())))
                        .isIn("application/json", "application/json;charset=UTF-8");
                assertThat(submitted.json().get("result").get(0).asString()).as("read as UTF-8").isEqualTo("d\u00e9j\u00e0 vu");
                for (String[] call : new String[][] {
                        {"GET", "/v1/tasks", null}, {"GET", "/v1/jobs/" + queued, null}, {"GET", "/v1/pool", null},
                        {"PUT", "/v1/pool", "{\"size\":" + size + "}"}, {"POST", "/v1/pool/join?timeout=0", null},
                        {"POST", "/v1/batches", "{\"task\":\"square\",\"items\":[1,2]}"}}) {
                    ApiClient.Response response = api.exchange(call[0], call[1], call[2], headers);
                    assertThat(response.status()).as("%s %s with Accept %s: %s", call[0], call[1], accept, response.body()).isBetween(200, 299);
                    assertThat(response.header("content-type")).as(accept).startsWith("application/json");
                }
                ApiClient.Response missing = api.exchange("GET", "/v1/jobs/01a1fd74-0000-7000-8000-000000000000", null, headers);
                assertThat(missing.status()).isEqualTo(404);
                assertThat(missing.json().get("type").asString()).isEqualTo("not-found");
            }
            ApiClient.Response cancelled = api.exchange("POST", "/v1/jobs/" + queued + "/cancel", null,
                    Map.of("Accept", "application/json;charset=latin1"));
            assertThat(cancelled.status()).isEqualTo(200);
            assertThat(cancelled.json().get("status").asString()).isEqualTo("CANCELLED");
        } finally {
            api.post("/v1/jobs/" + queued + "/cancel", null);
        }
    }

    @Test
    void unknownPathIs404Problem() {
        ApiClient.Response response = api.outsideSpecification("GET", "/v1/nothing-here");
        assertThat(response.status()).isEqualTo(404);
        assertThat(response.json().get("type").asString()).isEqualTo("not-found");
        assertThat(response.json().get("title").asString()).as("as a job's 404 says it").isEqualTo("Not found");
        assertThat(response.json().get("detail").asString()).isEqualTo("no such endpoint: /v1/nothing-here");
    }

    private long countJobs() {
        long count = 0;
        String cursor = null;
        do {
            var page = api.get("/v1/jobs?limit=1000" + (cursor == null ? "" : "&cursor=" + cursor)).json();
            count += page.get("items").size();
            cursor = page.get("next").isNull() ? null : page.get("next").asString();
        } while (cursor != null);
        return count;
    }
}
