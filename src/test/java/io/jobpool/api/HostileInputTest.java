package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.ApiClient;
import io.jobpool.testing.RawHttp;
import io.jobpool.testing.ServiceTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * Tests that hostile requests, including those the server's own parsers refuse before the API
 * sees them, get a problem detail with the expected type, never a 500 or an HTML page, and that a
 * refused submission creates no job.
 */
class HostileInputTest extends ServiceTest {

    private static final String ECHO = "{\"task\":\"echo\",\"args\":[1]}";

    @ParameterizedTest(name = "{0} {1} -> {2} {3}")
    @CsvSource(delimiter = '|', value = {
            "GET|/v1/jobs?x=%zz|400|validation",
            "GET|/v1/jobs?cursor=%ff%fe|400|validation",
            "GET|/v1/jobs?=1|400|validation",
            "GET|/v1/jobs?status=%c3|400|validation",
            "GET|/v1/jobs/01a1fd74-0000-7000-8000-000000000000?wait=%zz|400|validation",
            "GET|/v1/jobs/%zz|400|validation",
            "GET|/v1/jobs/%ff%fe|400|validation",
            "GET|/v1/jobs?limit=100000|400|validation",
            "GET|/v1/jobs?limit=abc|400|validation",
            "GET|/v1/jobs?limit=0x10|400|validation",
            "GET|/v1/jobs?limit=%2B5|400|validation",
            "GET|/v1/jobs?limit=%205|400|validation",
            "GET|/v1/jobs?limit=|400|validation",
            "GET|/v1/jobs?limit=1&limit=2|400|validation",
            "GET|/v1/jobs/01a1fd74-0000-7000-8000-000000000000?wait=1&wait=2|400|validation",
            "POST|/v1/pool/join?timeout=1&tim%65out=2|400|validation",
            "GET|/v1/jobs?task=|400|validation",
            "GET|/v1/jobs?task=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx|400|validation",
            "GET|/v1/jobs?batch=|400|validation",
            "GET|/v1/jobs/01a1fd74-0000-7000-8000-000000000000?wait=|400|validation",
            "GET|/v1/jobs/01a1fd74-0000-7000-8000-000000000000/result?timeout|400|validation",
            "POST|/v1/pool/join?timeout=|400|validation",
            "GET|/v1/jobs/01a1fd74-0000-7000-8000-000000000000?wait=NaN|400|validation",
            "GET|/v1/jobs/01a1fd74-0000-7000-8000-000000000000?wait=1e308|400|validation",
            "GET|/v1/jobs/01a1fd74-0000-7000-8000-000000000000?wait=1d|400|validation",
            "GET|/v1/jobs/01a1fd74-0000-7000-8000-000000000000?wait=0x1p1|400|validation",
            "GET|/v1/jobs/01a1fd74-0000-7000-8000-000000000000?wait=%201|400|validation",
            "GET|/v1/jobs/01a1fd74-0000-7000-8000-000000000000/result?timeout=1%20|400|validation",
            "POST|/v1/pool/join?timeout=2D|400|validation",
            "GET|/v1/jobs/01a1fd74-0000-7000-8000-000000000000?wiat=1|400|validation",
            "GET|/v1/jobs?stauts=FAILED|400|validation",
            "GET|/v1/tasks?verbose=1|400|validation",
            "GET|/error|404|not-found",
            "POST|/error|404|not-found",
            "PUT|/error|404|not-found",
            "DELETE|/error|404|not-found",
            "PATCH|/error|404|not-found",
            "GET|/nowhere|404|not-found",
            "GET|/nowhere?wait=1|404|not-found",
            "GET|/error?x=1|404|not-found",
            "GET|/v1/jobs/01a1fd74-0000-7000-8000-000000000000?x=1|400|validation",
            "BREW|/v1/jobs|405|method-not-allowed",
            "CONNECT|/v1/jobs|405|method-not-allowed",
            "TRACE|/v1/jobs|405|method-not-allowed",
            "PATCH|/v1/jobs|405|method-not-allowed"})
    void malformedRequestsAreProblems(String method, String target, int status, String type) throws IOException {
        RawHttp.Response response = RawHttp.send(port, method + " " + target + " HTTP/1.1", null);
        assertProblem(response, status, type);
    }

    @Test
    void anUnknownHttpVersionIsAClientError() throws IOException {
        assertProblem(RawHttp.send(port, "GET /v1/tasks HTTP/9.9", null), 400, "validation");
    }

    @Test
    void aTransferCodingTomcatDoesNotImplementIsAClientErrorAndCreatesNoJob() throws IOException {
        assertSubmissionRefused("Transfer-Encoding: gzip", 400, "validation", "Transfer-Encoding");
    }

    /** A submission of {@link #ECHO} with one more header is refused as a problem that names it, and stores nothing. */
    private void assertSubmissionRefused(String header, int status, String type, String detailNames) throws IOException {
        long before = countJobs();
        RawHttp.Response response = RawHttp.send(port,
                "POST /v1/jobs HTTP/1.1\r\nContent-Type: application/json\r\n" + header, ECHO.getBytes(StandardCharsets.UTF_8));
        assertProblem(response, status, type);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).contains(detailNames);
        assertThat(countJobs()).isEqualTo(before);
    }

    @Test
    void aMethodNoEndpointHasSaysWhichMethodsTheEndpointTakes() throws IOException {
        String job = "/v1/jobs/01a1fd74-0000-7000-8000-000000000000";
        for (String method : java.util.List.of("BREW", "PROPFIND", "MKCOL", "TRACE")) {
            RawHttp.Response jobs = RawHttp.send(port, method + " /v1/jobs HTTP/1.1", null);
            assertProblem(jobs, 405, "method-not-allowed");
            assertThat(jobs.headers().get("allow")).as(method).isEqualTo("GET, HEAD, OPTIONS, POST");
            RawHttp.Response ready = RawHttp.send(port, method + " " + job + "/ready HTTP/1.1", null);
            assertProblem(ready, 405, "method-not-allowed");
            assertThat(ready.headers().get("allow")).as("as PATCH gets it").isEqualTo(
                    RawHttp.send(port, "PATCH " + job + "/ready HTTP/1.1", null).headers().get("allow"));
            assertProblem(RawHttp.send(port, method + " /nowhere HTTP/1.1", null), 404, "not-found");
        }
        // A method Spring MVC refuses (PATCH is one the service knows) lists the same, HEAD and OPTIONS included.
        RawHttp.Response patch = RawHttp.send(port, "PATCH /v1/jobs HTTP/1.1", null);
        assertProblem(patch, 405, "method-not-allowed");
        assertThat(patch.headers().get("allow")).isEqualTo("GET, HEAD, OPTIONS, POST");
        assertThat(RawHttp.send(port, "PATCH " + job + "/cancel HTTP/1.1", null).headers().get("allow")).isEqualTo("OPTIONS, POST");
    }

    @Test
    void noAnswerAdvertisesTrace() throws IOException {
        for (String target : java.util.List.of("/nowhere", "/v1/jobs", "/v1/pool")) {
            RawHttp.Response options = RawHttp.send(port, "OPTIONS " + target + " HTTP/1.1", null);
            assertThat(options.headers().get("allow")).as(target).isNotBlank().doesNotContain("TRACE");
        }
    }

    @Test
    void aMethodTomcatDoesNotImplementSaysWhichMethodsThereAre() throws IOException {
        RawHttp.Response response = RawHttp.send(port, "CONNECT /v1/jobs HTTP/1.1", null);
        assertProblem(response, 405, "method-not-allowed");
        assertThat(response.headers().get("allow")).isNotBlank();
    }

    @Test
    void aCompressedBodyIsRefusedNotTakenAsItStands() throws IOException {
        assertSubmissionRefused("Content-Encoding: gzip", 415, "unsupported-media-type", "Content-Encoding");
        RawHttp.Response identity = RawHttp.send(port,
                "POST /v1/jobs HTTP/1.1\r\nContent-Type: application/json\r\nContent-Encoding: identity", ECHO.getBytes(StandardCharsets.UTF_8));
        assertThat(identity.status()).isEqualTo(202);
    }

    @Test
    void aQueryStringWithTooManyParametersIsRefused() throws IOException {
        String query = "a=1" + "&a=1".repeat(40);
        assertProblem(RawHttp.send(port, "GET /v1/jobs?" + query + " HTTP/1.1", null), 400, "validation");
    }

    @Test
    void aSubmissionWithABrokenQueryStringCreatesNoJob() throws IOException {
        long before = countJobs();
        RawHttp.Response response = RawHttp.send(port, "POST /v1/jobs?wait=%zz HTTP/1.1\r\nContent-Type: application/json",
                ECHO.getBytes(StandardCharsets.UTF_8));
        assertProblem(response, 400, "validation");
        assertThat(countJobs()).isEqualTo(before);
    }

    @Test
    void multipartWithoutABoundaryIsNeverParsed() throws IOException {
        RawHttp.Response get = RawHttp.send(port, "GET /v1/tasks HTTP/1.1\r\nContent-Type: multipart/form-data", null);
        assertThat(get.status()).as(get.text()).isEqualTo(200);
        RawHttp.Response post = RawHttp.send(port, "POST /v1/jobs HTTP/1.1\r\nContent-Type: multipart/form-data",
                ECHO.getBytes(StandardCharsets.UTF_8));
        assertProblem(post, 415, "unsupported-media-type");
        RawHttp.Response form = RawHttp.send(port, "POST /v1/jobs HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded",
                "task=%zz&=1".getBytes(StandardCharsets.UTF_8));
        assertProblem(form, 415, "unsupported-media-type");
    }

    @Test
    void anUnsupportedExpectationIsAProblem() throws IOException {
        RawHttp.Response response = RawHttp.send(port,
                "POST /v1/jobs HTTP/1.1\r\nContent-Type: application/json\r\nExpect: 100-fail", ECHO.getBytes(StandardCharsets.UTF_8));
        assertProblem(response, 417, "expectation-failed");
    }

    /** Tomcat reads only the first Expect line: a second one must not slip past, nor the job be made. */
    @Test
    void anUnsupportedExpectationInASecondExpectLineIsRefusedAndMakesNoJob() throws IOException {
        assertSubmissionRefused("Expect: 100-continue\r\nExpect: foo", 417, "expectation-failed", "'foo'");
    }

    /** Only the first Content-Encoding line was read: {@code identity} then {@code gzip} passed a gzip body. */
    @Test
    void aContentCodingInASecondContentEncodingLineIsRefused() throws IOException {
        assertSubmissionRefused("Content-Encoding: identity\r\nContent-Encoding: gzip", 415, "unsupported-media-type", "'gzip'");
        RawHttp.Response open = RawHttp.send(port, "POST /v1/pool/open HTTP/1.1\r\nContent-Type: application/json\r\n"
                + "Content-Encoding: identity\r\nContent-Encoding: gzip", new byte[] {0x1f, (byte) 0x8b, 8, 0});
        assertProblem(open, 415, "unsupported-media-type");
    }

    /**
     * A request line without a version is HTTP/0.9, which Tomcat answers with the body alone (no
     * status line): it is refused, and the answer is that refusal, never the resource.
     */
    @Test
    void anHttp09RequestIsRefusedNotServed() throws IOException {
        for (String target : java.util.List.of("/v1/tasks", "/v1/jobs/nope")) {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(("GET " + target + "\r\n").getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(answer).as(target).contains("\"status\":400", "\"type\":\"validation\"", "HTTP/0.9")
                        .doesNotContain("\"tasks\"", "not-found");
            }
        }
    }

    /** What Tomcat refuses before the API is named as such, not as a bare "bad request". */
    @Test
    void oversizeHeadersAndURIsAreTheirOwnProblems() throws IOException {
        RawHttp.Response big = RawHttp.send(port, "GET /v1/tasks HTTP/1.1\r\nX-Big: " + "x".repeat(20_000), null);
        assertProblem(big, 431, "headers-too-large");
        assertThat(big.text()).contains("16384 bytes").contains("\"instance\":\"/v1/tasks\"");
        RawHttp.Response many = RawHttp.send(port, "GET /v1/tasks HTTP/1.1" + "\r\nX-H: v".repeat(150), null);
        assertProblem(many, 431, "headers-too-large");
        assertThat(many.text()).contains("more header fields than 100");
        assertProblem(RawHttp.send(port, "GET /v1/tasks?x=" + "a".repeat(20_000) + " HTTP/1.1", null), 414, "uri-too-long");
        assertProblem(RawHttp.send(port, "GET /v1/" + "a".repeat(20_000) + " HTTP/1.1", null), 414, "uri-too-long");
    }

    @Test
    void aRequestRefusedBeforeTheApiSaysWhatIsWrong() throws IOException {
        String[][] cases = {
                {"GET /v1/tasks HTTP/1.1\r\nIdempotency-Key: a\u0001b", "a header line is not a valid 'name: value'"},
                {"GET /v1/tasks HTTP/1.1\r\nX(A: b", "a header line is not a valid 'name: value'"},
                {"GET /v1/jobs#frag HTTP/1.1", "request target holds a character that must be %-encoded"},
                {"GET /v1/tasks HTTP/1.1\r\nHost: a\r\nHost: b", "more than one Host header"},
                {"POST /v1/jobs HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2", "more than one Content-Length header"},
                {"POST /v1/jobs HTTP/1.1\r\nContent-Length: +2", "Content-Length is not a length in bytes"},
                {"POST /v1/jobs HTTP/1.1\r\nContent-Length: -2", "Content-Length is not a length in bytes"},
                {"POST /v1/jobs HTTP/1.1\r\nTransfer-Encoding: chunked, chunked", "Transfer-Encoding is not valid"},
                {"GET //v1/jobs HTTP/1.1", "its path holds '//'"},
                {"GET /v1/./jobs HTTP/1.1", "its path is not normalized"},
                {"GET /v1/jobs;a=b HTTP/1.1", "its path holds ';'"},
                {"POST /v1/jobs HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
                        "its body could not be read: invalid chunk header"}};
        for (String[] c : cases) {
            byte[] body = c[0].endsWith("chunked") ? "zz\r\n{}\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII) : null;
            RawHttp.Response response = RawHttp.send(port, c[0], body, 10_000);
            assertProblem(response, 400, "validation");
            assertThat(ApiClient.JSON.readTree(response.text()).get("detail").asString()).as(c[0]).contains(c[1]);
        }
    }

    /** UTF-8 "ключ": bytes 0x8E and 0x87 read as ISO-8859-1 are C1 control characters, which Spring's firewall refuses. */
    @Test
    void anIdempotencyKeyWithControlCharactersIsAClientErrorAndCreatesNoJob() throws IOException {
        long before = countJobs();
        String key = new String("ключ".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        RawHttp.Response response = RawHttp.send(port, "POST /v1/jobs HTTP/1.1\r\nContent-Type: application/json\r\nIdempotency-Key: "
                + key, ECHO.getBytes(StandardCharsets.UTF_8));
        assertProblem(response, 400, "validation");
        assertThat(countJobs()).isEqualTo(before);
    }

    @Test
    void aTenThousandCharacterIdempotencyKeyIsRefused() {
        long before = countJobs();
        ApiClient.Response response = api.raw("POST", "/v1/jobs", ECHO,
                Map.of("Content-Type", "application/json", "Idempotency-Key", "k".repeat(10_000)));
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().get("errors").get(0).get("field").asString()).isEqualTo("Idempotency-Key");
        assertThat(countJobs()).isEqualTo(before);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "{\"task\":\"echo\",\"args\":[\"\\ud800\"]}",
            "{\"task\":\"echo\",\"args\":[\"\\udfff x\"]}",
            "{\"task\":\"echo\",\"kwargs\":{\"\\ud800\":1}}",
            "{\"task\":\"echo\\ud800\"}",
            "{\"task\":\"echo\",\"args\":[NaN]}",
            "{\"task\":\"echo\",\"args\":[Infinity]}",
            "{\"task\":\"echo\",\"args\":[-Infinity]}",
            "{\"task\":\"echo\",\"timeoutSeconds\":NaN}",
            "{\"task\":\"echo\",\"args\":[1e999999]}"})
    void textAndNumbersNoStoreCanKeepAreRefusedAndCreateNoJob(String body) {
        long before = countJobs();
        ApiClient.Response response = api.raw("POST", "/v1/jobs", body, Map.of("Content-Type", "application/json"));
        assertThat(response.status()).as(response.body()).isEqualTo(400);
        assertThat(response.json().get("type").asString()).isEqualTo("validation");
        assertThat(countJobs()).as("a refused submission stores nothing").isEqualTo(before);
    }

    @Test
    void aCallbackUrlLongerThan2048CharactersIsAValidationProblem() {
        String url = "https://example.com/" + "a".repeat(2100);
        ApiClient.Response response = api.raw("POST", "/v1/jobs", "{\"task\":\"echo\",\"callbackUrl\":\"" + url + "\"}",
                Map.of("Content-Type", "application/json"));
        assertThat(response.status()).as(response.body()).isEqualTo(400);
        assertThat(response.json().get("errors").get(0).get("field").asString()).isEqualTo("callbackUrl");
    }

    @Test
    void hugeNumbersDeepNestingAndLongNamesAreValidationProblems() {
        String digits = "{\"task\":\"echo\",\"args\":[" + "9".repeat(10_000) + "]}";
        String nested = "{\"task\":\"echo\",\"args\":" + "[".repeat(1_000) + "]".repeat(1_000) + "}";
        String longTask = "{\"task\":\"" + "t".repeat(10_000) + "\"}";
        String longName = "{\"task\":\"echo\",\"kwargs\":{\"" + "n".repeat(5_000) + "\":1}}";
        for (String body : new String[] {digits, nested, longTask, longName}) {
            long before = countJobs();
            ApiClient.Response response = api.raw("POST", "/v1/jobs", body, Map.of("Content-Type", "application/json"));
            assertThat(response.status()).as(body.substring(0, 40)).isEqualTo(400);
            assertThat(response.json().get("type").asString()).isEqualTo("validation");
            assertThat(response.json().get("detail").asString()).as("says what is wrong in the API's terms")
                    .doesNotContain("StreamReadConstraints", "reference chain", "io.jobpool");
            assertThat(countJobs()).isEqualTo(before);
        }
    }

    @Test
    void invalidUtf8InABodyIsAValidationProblem() throws IOException {
        byte[] body = {'{', '"', 't', 'a', 's', 'k', '"', ':', '"', 'e', 'c', 'h', 'o', '"', ',', '"', 'a', 'r', 'g', 's', '"', ':',
                '[', '"', (byte) 0xff, (byte) 0xfe, (byte) 0xc3, '"', ']', '}'};
        assertProblem(RawHttp.send(port, "POST /v1/jobs HTTP/1.1\r\nContent-Type: application/json", body), 400, "validation");
    }

    /**
     * Overlong forms ({@code C0 AF}, {@code E0 80 AF}: {@code /} spelt in two and three bytes) are
     * not UTF-8, and decoded they would hand the task another string than the bytes sent; UTF-16
     * and UTF-32 bodies are not JSON between systems. None of them makes a job.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "two-byte overlong|C0AF|byte 0xc0 at offset 24",
            "three-byte overlong|E080AF|byte 0x80 at offset 25",
            "encoded surrogate|EDA080|byte 0xa0 at offset 25",
            "past U+10FFFF|F4908080|byte 0x90 at offset 25",
            "UTF-16|utf16|NUL byte"})
    void aBodyThatIsNotStrictUtf8IsRefusedAndMakesNoJob(String what, String bytes, String detail) throws IOException {
        byte[] body;
        if (bytes.equals("utf16")) {
            body = ECHO.getBytes(StandardCharsets.UTF_16LE);
        } else {
            byte[] inner = java.util.HexFormat.of().parseHex(bytes);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            out.writeBytes("{\"task\":\"echo\",\"args\":[\"".getBytes(StandardCharsets.UTF_8));
            out.writeBytes(inner);
            out.writeBytes("\"]}".getBytes(StandardCharsets.UTF_8));
            body = out.toByteArray();
        }
        long before = countJobs();
        RawHttp.Response response = RawHttp.send(port, "POST /v1/jobs HTTP/1.1\r\nContent-Type: application/json", body);
        assertProblem(response, 400, "validation");
        assertThat(response.text()).contains(detail);
        assertThat(countJobs()).isEqualTo(before);
    }

    @Test
    void aBodyLabelledWithAnotherCharsetIsRefusedNotDecodedWithIt() throws IOException {
        long before = countJobs();
        RawHttp.Response latin1 = RawHttp.send(port, "POST /v1/jobs HTTP/1.1\r\nContent-Type: application/json; charset=ISO-8859-1",
                "{\"task\":\"echo\",\"args\":[\"\u00e9\"]}".getBytes(StandardCharsets.ISO_8859_1));
        assertProblem(latin1, 415, "unsupported-media-type");
        assertThat(latin1.text()).contains("UTF-8", "ISO-8859-1");
        assertThat(countJobs()).isEqualTo(before);
        RawHttp.Response utf8 = RawHttp.send(port, "POST /v1/jobs HTTP/1.1\r\nContent-Type: application/json; charset=\"utf-8\"",
                ECHO.getBytes(StandardCharsets.UTF_8));
        assertThat(utf8.status()).as(utf8.text()).isEqualTo(202);
    }

    @Test
    void anOversizeBodyWithoutALengthIsRefusedWhileItIsRead() throws IOException {
        byte[] chunk = ("{\"task\":\"echo\",\"args\":[\"" + "x".repeat(200_000) + "\"]}").getBytes(StandardCharsets.UTF_8);
        String chunked = Integer.toHexString(chunk.length) + "\r\n" + new String(chunk, StandardCharsets.ISO_8859_1) + "\r\n0\r\n\r\n";
        RawHttp.Response response = RawHttp.send(port,
                "POST /v1/jobs HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
                chunked.getBytes(StandardCharsets.ISO_8859_1));
        assertProblem(response, 413, "payload-too-large");
        // Reading stopped at the limit: the body's size is not known, only that it passed it.
        assertThat(response.text()).containsPattern("request body is more than \\d+ bytes; the limit is \\d+");
    }

    /** The request line is valid HTTP: the refusal names the path's %-encoding as what is wrong. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"/v1/jobs/%c0%af|not UTF-8", "/v1/jobs/%ff%fe|not UTF-8", "/v1/jobs/%zz|two hex digits",
            "/v1/jobs/%4|two hex digits"})
    void aPathThatDoesNotDecodeIsNamedAsSuch(String path, String reason) throws IOException {
        RawHttp.Response response = RawHttp.send(port, "GET " + path + " HTTP/1.1", null);
        assertProblem(response, 400, "validation");
        assertThat(response.text()).contains("its path has").contains(reason).doesNotContain("not valid HTTP/1.1");
    }

    /** A client that asks before it sends is told 413 before it uploads, not "100 Continue" and then 413. */
    @Test
    void aBodyDeclaredPastTheLimitIsRefusedBeforeTheClientSendsIt() throws IOException {
        RawHttp.Response response = RawHttp.send(port, "POST /v1/jobs HTTP/1.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: 300000000\r\nExpect: 100-continue", null, 20_000);
        assertProblem(response, 413, "payload-too-large");
        RawHttp.Response small = RawHttp.send(port, "POST /v1/jobs HTTP/1.1\r\nContent-Type: application/json\r\n"
                + "Expect: 100-continue", ECHO.getBytes(StandardCharsets.UTF_8));
        // Read as one response: the interim 100 as the body sent reads it, then the job's 202.
        assertThat(small.status()).isEqualTo(100);
        assertThat(small.text()).as("a body within the limit is taken").contains("HTTP/1.1 202");
    }

    /** Read as the first or as both joined, a repeated header would make the request mean what its client did not send. */
    @Test
    void aRepeatedSingleValueHeaderIsRefusedAndSubmitsNothing() throws IOException {
        long before = countJobs();
        RawHttp.Response types = RawHttp.send(port, "POST /v1/jobs HTTP/1.1\r\nContent-Type: application/json\r\n"
                + "Content-Type: text/plain", ECHO.getBytes(StandardCharsets.UTF_8));
        assertProblem(types, 400, "validation");
        assertThat(types.text()).contains("more than one Content-Type header");
        RawHttp.Response keys = RawHttp.send(port, "POST /v1/jobs HTTP/1.1\r\nContent-Type: application/json\r\n"
                + "Idempotency-Key: a\r\nIdempotency-Key: b", ECHO.getBytes(StandardCharsets.UTF_8));
        assertProblem(keys, 400, "validation");
        assertThat(keys.text()).contains("more than one Idempotency-Key header");
        assertThat(countJobs()).isEqualTo(before);
    }

    @Test
    void unicodeInEveryStringRoundTrips() {
        String body = "{\"task\":\"echo\",\"args\":[\"héllo\",\"日本語\",\"😀\",\"\\u0000\",\"\\u202e\"],"
                + "\"kwargs\":{\"ключ\":\"значение\",\"😀\":\"𝄞\"}}";
        JsonNode job = api.run(body, 30);
        assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(job.get("args").toString()).isEqualTo(ApiClient.JSON.readTree(body).get("args").toString());
        assertThat(job.get("kwargs").get("ключ").asString()).isEqualTo("значение");
        assertThat(job.get("kwargs").get("😀").asString()).isEqualTo("𝄞");
    }

    private static void assertProblem(RawHttp.Response response, int status, String type) {
        assertThat(response.status()).as(response.text()).isEqualTo(status);
        assertThat(response.contentType()).as(response.text()).startsWith("application/problem+json");
        JsonNode problem = ApiClient.JSON.readTree(response.text());
        assertThat(problem.get("type").asString()).isEqualTo(type);
        assertThat(problem.get("status").asInt()).isEqualTo(status);
    }

    private long countJobs() {
        long count = 0;
        String cursor = null;
        do {
            JsonNode page = api.get("/v1/jobs?limit=1000" + (cursor == null ? "" : "&cursor=" + cursor)).json();
            count += page.get("items").size();
            cursor = page.get("next").isNull() ? null : page.get("next").asString();
        } while (cursor != null);
        return count;
    }
}
