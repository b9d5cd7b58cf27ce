package io.jobpool.api;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.springframework.http.HttpHeaders;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses, before anything parses them, requests that the server's own parsers would choke on:
 * a method no endpoint has (the container would answer 501), a query string with an empty parameter name, bad %-encoding or invalid UTF-8, too many
 * parameters, and form or multipart bodies (the API speaks JSON only; parsing those would read
 * and decode a body nobody asked for; without a body the content type is ignored, as on any GET). Runs first, ahead of authentication, so such a request
 * costs nothing and is answered with a problem, never a 500.
 */
final class RequestScreeningFilter extends OncePerRequestFilter {

    /** No endpoint takes more than a handful of parameters. */
    static final int MAX_PARAMETERS = 32;

    /** The methods some endpoint answers; the servlet container answers others with 501. */
    static final java.util.Set<String> METHODS = java.util.Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");

    /** The most media ranges an {@code Accept} may list: content negotiation sorts no more. */
    static final int MAX_MEDIA_RANGES = 50;

    /** Request headers with one value only: a second one is refused rather than one of them picked. */
    private static final java.util.List<String> SINGLE_HEADERS = java.util.List.of(HttpHeaders.CONTENT_TYPE, "Idempotency-Key");

    /** The {@code Allow} header of a refusal for a method no endpoint answers, where the endpoint's own methods are unknown. */
    static final String ALLOW = String.join(", ", new java.util.TreeSet<>(METHODS));

    /**
     * The methods the endpoint at a request's path answers, for the {@code Allow} header of a 405
     * (RFC 9110 wants the target's methods, not the service's); {@code null} when no endpoint is
     * there, which is a 404 as for any method.
     */
    private final java.util.function.Function<HttpServletRequest, String> allowedAt;

    /**
     * Whether every query parameter needs a value: each of the API's does, and {@code ?wait=} read
     * as no wait at all while {@code ?limit=} was refused. The actuator's are not the API's.
     */
    private final boolean valuesRequired;

    /** Where endpoints cannot be looked up by path (the management port): every method the service answers somewhere. */
    RequestScreeningFilter() {
        this(request -> ALLOW, false);
    }

    RequestScreeningFilter(java.util.function.Function<HttpServletRequest, String> allowedAt, boolean valuesRequired) {
        this.allowedAt = allowedAt;
        this.valuesRequired = valuesRequired;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!"HTTP/1.1".equals(request.getProtocol()) && !"HTTP/1.0".equals(request.getProtocol())) {
            // A request line without a version is HTTP/0.9 to Tomcat, which then answers with the
            // body alone: a 401 or 404 looked like a 200 to the client. Nothing is done for it.
            Problems.write(response, 400, "validation", "Invalid request",
                    "the request line has no HTTP version (HTTP/0.9 is not served); send HTTP/1.1",
                    Problems.instance(request.getRequestURI()));
            return;
        }
        String expectation = unmetExpectation(request);
        if (expectation != null) {
            // Tomcat reads the first Expect only: '100-continue' then 'foo' was taken as 100-continue.
            Problems.write(response, 417, "expectation-failed", "Expectation failed",
                    "the only expectation served is a single 100-continue; '" + abbreviate(expectation) + "' is not",
                    Problems.instance(request.getRequestURI()));
            return;
        }
        if (!METHODS.contains(request.getMethod())) {
            String allow = allowedAt.apply(request);
            if (allow == null) {
                Problems.write(response, 404, "not-found", "Not found", "no such endpoint: " + Problems.instance(request.getRequestURI()),
                        Problems.instance(request.getRequestURI()));
                return;
            }
            response.setHeader("Allow", allow);
            Problems.write(response, 405, "method-not-allowed", "Method not allowed",
                    "no endpoint answers the method " + abbreviate(request.getMethod()), Problems.instance(request.getRequestURI()));
            return;
        }
        String problem = queryProblem(request.getQueryString(), valuesRequired);
        if (problem != null) {
            Problems.write(response, 400, "validation", "Invalid request", "the query string " + problem,
                    Problems.instance(request.getRequestURI()));
            return;
        }
        for (String header : SINGLE_HEADERS) {
            java.util.Enumeration<String> values = request.getHeaders(header);
            if (values != null && values.hasMoreElements() && values.nextElement() != null && values.hasMoreElements()) {
                // Read as the first (Content-Type) or as both joined (Idempotency-Key), a repeat
                // would make the request mean what its client or a proxy did not send.
                Problems.write(response, 400, "validation", "Invalid request", "the request has more than one " + header
                        + " header; send exactly one", Problems.instance(request.getRequestURI()));
                return;
            }
        }
        String contentType = request.getContentType();
        boolean hasBody = request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null;
        if (contentType != null && hasBody) {
            String type = contentType.toLowerCase(Locale.ROOT).strip();
            if (type.startsWith("multipart/") || type.startsWith("application/x-www-form-urlencoded")) {
                Problems.write(response, 415, "unsupported-media-type", "Unsupported media type",
                        "request bodies are application/json; '" + abbreviate(contentType) + "' is not accepted",
                        Problems.instance(request.getRequestURI()));
                return;
            }
            String charset = charsetOf(contentType);
            if (charset != null && !charset.equalsIgnoreCase("utf-8") && !charset.equalsIgnoreCase("utf8")) {
                // Spring would decode the body with it, while the same bytes unlabelled are refused
                // as broken UTF-8: one body, two readings.
                Problems.write(response, 415, "unsupported-media-type", "Unsupported media type",
                        "JSON request bodies are UTF-8 (RFC 8259); charset '" + abbreviate(charset) + "' is not accepted",
                        Problems.instance(request.getRequestURI()));
                return;
            }
        }
        String encoding = hasBody ? contentCoding(request) : null;
        if (encoding != null) {
            // Nothing here decodes a compressed body: read as JSON it would be garbage, or, worse,
            // plain JSON mislabelled and taken as it stands.
            Problems.write(response, 415, "unsupported-media-type", "Unsupported media type",
                    "request bodies are sent without a Content-Encoding; '" + abbreviate(encoding) + "' is not accepted",
                    Problems.instance(request.getRequestURI()));
            return;
        }
        int ranges = mediaRanges(request);
        if (ranges > MAX_MEDIA_RANGES) {
            // Spring's negotiation sorts at most 50 and refuses the request otherwise, with a 406 that said nothing of why.
            Problems.write(response, 406, "not-acceptable", "Not acceptable", "the Accept header lists " + ranges
                    + " media ranges; at most " + MAX_MEDIA_RANGES + " are read", Problems.instance(request.getRequestURI()));
            return;
        }
        HttpServletRequest screened = withoutRefusedMediaTypes(request);
        if (screened == null) {
            Problems.write(response, 406, "not-acceptable", "Not acceptable",
                    "the Accept header rules out every media type (q=0)", Problems.instance(request.getRequestURI()));
            return;
        }
        chain.doFilter(hasBody ? new Utf8Body(screened) : screened, new OneWriteResponse(response));
    }

    /**
     * How many media ranges the request's {@code Accept} headers list: the elements between their
     * commas (quoted ones aside), leaving out empty ones, which RFC 9110 (5.6.1) has recipients ignore.
     */
    private static int mediaRanges(HttpServletRequest request) {
        int ranges = 0;
        for (String value : java.util.Collections.list(request.getHeaders(HttpHeaders.ACCEPT))) {
            boolean quoted = false;
            boolean empty = true;
            for (int i = 0; i <= value.length(); i++) {
                char c = i == value.length() ? ',' : value.charAt(i);
                if (c == '"') {
                    quoted = !quoted;
                } else if (c == ',' && !quoted) {
                    ranges += empty ? 0 : 1;
                    empty = true;
                    continue;
                }
                if (c != ' ' && c != '\t') {
                    empty = false;
                }
            }
        }
        return ranges;
    }

    /** The {@code charset} parameter of a content type, unquoted; {@code null} without one or when the type does not parse. */
    static String charsetOf(String contentType) {
        try {
            String charset = MediaType.parseMediaType(contentType).getParameter("charset");
            return charset == null ? null : charset.replace("\"", "").strip();
        } catch (InvalidMediaTypeException e) {
            return null; // Spring refuses it as it reads the body (415)
        }
    }

    /**
     * The request as content negotiation should see its {@code Accept} header: without the media
     * ranges the client refuses, and without parameters other than {@code q}; {@code null} when every range is
     * refused, so the request is refused before it does anything. A header that does not parse is
     * left for content negotiation to refuse.
     * <ul>
     * <li>A range with {@code q=0} is one the client refuses (RFC 9110, 12.4.2), but negotiation
     * would still pick it: {@code Accept: text/html, application/json;q=0} got JSON and its job
     * submitted.
     * <li>Every body this service writes is UTF-8, and JSON has no charset parameter (RFC 8259,
     * 11: it is UTF-8). Left in, {@code application/json;charset=ISO-8859-1} passed the handler
     * mapping (which ignores parameters) and failed only when the answer was written: a 500 after
     * the job was submitted or the pool changed. Dropped, it is answered in UTF-8, as
     * {@code *}{@code /*;charset=latin1} always was; a 406 would refuse a client that reads the
     * JSON it gets perfectly well.
     * <li>Any other parameter of a range ({@code application/json;foo=bar}) made the range more
     * specific than the JSON the endpoint produces, and negotiation wrote it into the answer's
     * {@code Content-Type}: 8 KB of them made a header too large to write, a 500 after the job
     * was submitted. Media types this service writes have no parameters.
     * <li>A refusal written {@code q=-0}, {@code q=.0} or {@code q=0.000} is a refusal too.
     * </ul>
     */
    static HttpServletRequest withoutRefusedMediaTypes(HttpServletRequest request) {
        java.util.List<String> values = java.util.Collections.list(request.getHeaders(HttpHeaders.ACCEPT));
        if (values.isEmpty() || values.stream().noneMatch(value -> value.indexOf(';') >= 0)) {
            return request; // no parameter, no q: nothing to take out
        }
        java.util.List<MediaType> ranges;
        try {
            ranges = MediaType.parseMediaTypes(values);
        } catch (InvalidMediaTypeException e) {
            return request;
        }
        java.util.List<MediaType> accepted = ranges.stream().filter(range -> range.getQualityValue() > 0)
                .map(RequestScreeningFilter::withQualityOnly).toList();
        if (accepted.equals(ranges)) {
            return request;
        }
        if (accepted.isEmpty()) {
            return null;
        }
        String header = MediaType.toString(accepted);
        return new HttpServletRequestWrapper(request) {
            @Override
            public String getHeader(String name) {
                return HttpHeaders.ACCEPT.equalsIgnoreCase(name) ? header : super.getHeader(name);
            }

            @Override
            public java.util.Enumeration<String> getHeaders(String name) {
                return HttpHeaders.ACCEPT.equalsIgnoreCase(name)
                        ? java.util.Collections.enumeration(java.util.List.of(header)) : super.getHeaders(name);
            }
        };
    }

    private static MediaType withQualityOnly(MediaType range) {
        if (range.getParameters().keySet().stream().allMatch("q"::equalsIgnoreCase)) {
            return range;
        }
        java.util.Map<String, String> parameters = new java.util.LinkedHashMap<>(range.getParameters());
        parameters.keySet().removeIf(name -> !"q".equalsIgnoreCase(name));
        return new MediaType(range.getType(), range.getSubtype(), parameters);
    }

    @Override
    protected boolean shouldNotFilterErrorDispatch() {
        return true;
    }

    /** What is wrong with the query string, or {@code null} when every parameter decodes. */
    static String queryProblem(String query, boolean valuesRequired) {
        if (query == null || query.isEmpty()) {
            return null;
        }
        String[] pairs = query.split("&", -1);
        if (pairs.length > MAX_PARAMETERS) {
            return "has more than " + MAX_PARAMETERS + " parameters";
        }
        // No parameter takes several values: of ?wait=1&wait=30 one would be used and the other
        // silently dropped, so the client is told instead.
        java.util.Set<String> names = new java.util.HashSet<>();
        for (String pair : pairs) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name = equals < 0 ? pair : pair.substring(0, equals);
            if (name.isEmpty()) {
                return "has a parameter without a name";
            }
            if (!decodes(name) || (equals >= 0 && !decodes(pair.substring(equals + 1)))) {
                return "has a parameter that is not valid %-encoded UTF-8";
            }
            String decoded = java.net.URLDecoder.decode(name, StandardCharsets.UTF_8);
            if (!names.add(decoded)) {
                return "gives the parameter '" + abbreviate(decoded) + "' more than once";
            }
            if (valuesRequired && (equals < 0 || equals == pair.length() - 1)) {
                return "gives the parameter '" + abbreviate(decoded) + "' no value";
            }
        }
        return null;
    }

    private static boolean decodes(String encoded) {
        byte[] bytes = new byte[encoded.length()];
        int length = 0;
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '%') {
                if (i + 2 >= encoded.length()) {
                    return false;
                }
                int high = Character.digit(encoded.charAt(i + 1), 16);
                int low = Character.digit(encoded.charAt(i + 2), 16);
                if (high < 0 || low < 0) {
                    return false;
                }
                bytes[length++] = (byte) (high << 4 | low);
                i += 2;
            } else if (c > 0xff) {
                return false;
            } else {
                // Tomcat hands the query string over as ISO-8859-1 decoded bytes; a raw byte above
                // 0x7f is part of an unencoded UTF-8 sequence, checked with the rest below.
                bytes[length++] = (byte) c;
            }
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, 0, length));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /**
     * The first {@code Expect} expectation other than one {@code 100-continue}, in any of the
     * request's {@code Expect} lines, or {@code null}.
     */
    private static String unmetExpectation(HttpServletRequest request) {
        java.util.Enumeration<String> lines = request.getHeaders("Expect");
        int expectations = 0;
        while (lines != null && lines.hasMoreElements()) {
            for (String expectation : lines.nextElement().split(",")) {
                expectations++;
                if (!"100-continue".equalsIgnoreCase(expectation.strip()) || expectations > 1) {
                    return expectation.strip();
                }
            }
        }
        return null;
    }

    /** The first content coding other than {@code identity} in any of the request's {@code Content-Encoding} lines, or {@code null}. */
    private static String contentCoding(HttpServletRequest request) {
        java.util.Enumeration<String> lines = request.getHeaders(HttpHeaders.CONTENT_ENCODING);
        while (lines != null && lines.hasMoreElements()) {
            for (String coding : lines.nextElement().split(",")) {
                if (!coding.isBlank() && !"identity".equalsIgnoreCase(coding.strip())) {
                    return coding.strip();
                }
            }
        }
        return null;
    }

    static String abbreviate(String value) {
        return value.length() > 100 ? value.substring(0, 100) + "..." : value;
    }

    /**
     * A response that is not committed by {@code flushBuffer()}. Spring MVC flushes every response
     * it writes from a return value, which commits it before its length is known: the body then
     * went out chunked, in two writes (the body, then the last chunk). Left to the container, a
     * body that fits its buffer leaves in one write with a {@code Content-Length}; a larger one is
     * sent as the buffer fills, as before. Flushes of the output stream itself (a stream of NDJSON
     * lines) still go out at once.
     */
    static final class OneWriteResponse extends jakarta.servlet.http.HttpServletResponseWrapper {

        OneWriteResponse(HttpServletResponse response) {
            super(response);
        }

        @Override
        public void flushBuffer() {
            // Committed when the request ends, or when the body outgrows the buffer.
        }

        @Override
        public void setHeader(String name, String value) {
            super.setHeader(name, withoutTrace(name, value));
        }

        @Override
        public void addHeader(String name, String value) {
            super.addHeader(name, withoutTrace(name, value));
        }

        /**
         * The servlet's default {@code OPTIONS} answer (at a path no endpoint has) lists TRACE,
         * which the connector lets through only for this filter to refuse it.
         */
        private static String withoutTrace(String name, String value) {
            if (value == null || !"Allow".equalsIgnoreCase(name) || !value.contains("TRACE")) {
                return value;
            }
            return String.join(", ", java.util.Arrays.stream(value.split(",")).map(String::strip)
                    .filter(method -> !method.equals("TRACE") && !method.isEmpty()).toList());
        }
    }
}
