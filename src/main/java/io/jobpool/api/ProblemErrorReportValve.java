package io.jobpool.api;

import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.apache.coyote.http11.AbstractHttp11Protocol;
import org.apache.tomcat.util.http.MimeHeaders;
import org.apache.tomcat.util.res.StringManager;

/**
 * Tomcat's own error report, for requests it refuses before any application code sees them
 * (a malformed request line or path, an unsupported {@code Expect}): a problem detail instead of
 * Tomcat's HTML page, and nothing about the server's version.
 */
public final class ProblemErrorReportValve extends ErrorReportValve {

    public ProblemErrorReportValve() {
        setShowReport(false);
        setShowServerInfo(false);
    }

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0) {
            return;
        }
        AtomicBoolean ioAllowed = new AtomicBoolean(true);
        response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
        if (!ioAllowed.get()) {
            return;
        }
        // Refusals Tomcat words as 5xx are the client's to fix: a method it does not implement
        // (CONNECT) is 405, an HTTP version it does not speak is 400, and so is a transfer coding
        // it does not implement (a 501 for a method that endpoints do answer).
        String reason = null;
        if (status == 501 && RequestScreeningFilter.METHODS.contains(request.getMethod())) {
            status = 400;
            reason = "its Transfer-Encoding is not supported (only chunked is)";
        } else if (status == 501) {
            status = 405;
            response.setHeader("Allow", RequestScreeningFilter.ALLOW);
        } else if (status == 505) {
            status = 400;
            reason = "its HTTP version is not supported";
        } else if (status == 400) {
            Refusal refusal = refusal(request, response.getMessage(), throwable);
            status = refusal.status();
            reason = refusal.reason();
        }
        response.setStatus(status);
        String title = Problems.titleFor(status);
        String detail = status >= 500 ? "the service failed to answer this request; the error is in its log"
                : "the request was refused before it reached the API: "
                        + (reason != null ? reason : title.toLowerCase(java.util.Locale.ROOT));
        String uri = request.getDecodedRequestURI() != null ? request.getDecodedRequestURI() : safePath(request);
        try {
            response.setContentType(Problems.MEDIA_TYPE);
            response.setCharacterEncoding("UTF-8");
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(Problems.json(status, Problems.typeFor(status), title, detail, Problems.instance(uri)));
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // The connection is gone or the response already started: nothing more can be said.
        }
    }

    private static final StringManager HTTP11 = StringManager.getManager("org.apache.coyote.http11");

    private static final StringManager HTTP = StringManager.getManager("org.apache.tomcat.util.http");

    private static final StringManager PARSER = StringManager.getManager("org.apache.tomcat.util.http.parser");

    /** Where Tomcat's refusal says no more than that: the request is not one it can read. */
    private static final String MALFORMED = "its request line or headers are not valid HTTP/1.1 (RFC 9112)";

    /** What a 400 of Tomcat's own is answered with: its status and what is wrong. */
    record Refusal(int status, String reason) {}

    /**
     * What is wrong with a request Tomcat answered 400 before any application code saw it. Tomcat
     * says so in the exception it refused it with, worded by its own message bundle (and so
     * recognized by it, whatever the locale); those messages quote the offending line, which is
     * not echoed. Where Tomcat gives no exception (it only logs the reason at debug level), the
     * headers it read tell. The header section over its size or count limit is 431 (or 414 when
     * the request line alone is), as RFC 9110 and RFC 6585 name it, not a bare 400.
     */
    static Refusal refusal(Request request, String sentError, Throwable throwable) {
        String message = throwable == null ? null : throwable.getMessage();
        if (message == null && sentError != null) {
            // CoyoteAdapter's own refusals of a target it cannot map ("Invalid URI"): '*' other
            // than for OPTIONS, a path that does not decode or normalize.
            String encoding = pathEncodingProblem(request.getCoyoteRequest().requestURI().toString());
            return new Refusal(400, encoding != null ? encoding : "its request target is not a valid path");
        }
        if (message == null) {
            String problem = headerProblem(request.getCoyoteRequest());
            if (problem == null) {
                problem = pathEncodingProblem(request.getCoyoteRequest().requestURI().toString());
            }
            return new Refusal(400, problem != null ? problem : MALFORMED);
        }
        if (message.equals(HTTP11.getString("iib.requestheadertoolarge.error"))) {
            String limit = protocol(request) == null ? "the server's limit"
                    : protocol(request).getMaxHttpRequestHeaderSize() + " bytes";
            if (request.getCoyoteRequest().requestURI().isNull()) {
                return new Refusal(414, "its request line (method, path and query) is longer than " + limit
                        + ", the most the server reads of a request line and its headers");
            }
            return new Refusal(431, "its request line and headers are longer than " + limit + " together");
        }
        if (matches(message, HTTP, "headers.maxCountFail")) {
            String limit = protocol(request) == null ? "the server allows" : String.valueOf(protocol(request).getMaxHeaderCount());
            return new Refusal(431, "it has more header fields than " + limit);
        }
        if (matches(message, PARSER, "httpHeaderParser.invalidHeader")) {
            return new Refusal(400, "a header line is not a valid 'name: value' (RFC 9112): a name that is not a token,"
                    + " a space before the colon, no colon, or a control character in the value");
        }
        if (matches(message, HTTP11, "iib.invalidRequestTarget")) {
            return new Refusal(400, "its request target holds a character that must be %-encoded (RFC 3986), such as a space,"
                    + " '#', '{', '|' or a byte outside ASCII");
        }
        if (matches(message, HTTP11, "iib.invalidmethod")) {
            return new Refusal(400, "its method is not a token (RFC 9110)");
        }
        if (matches(message, HTTP11, "iib.invalidHttpProtocol")) {
            return new Refusal(400, "its request line does not end with an HTTP version");
        }
        for (StackTraceElement frame : throwable.getStackTrace()) {
            if (frame.getClassName().startsWith("org.apache.tomcat.util.http.parser.Host")) {
                return new Refusal(400, "its Host header is not a host name or address");
            }
        }
        return new Refusal(400, MALFORMED);
    }

    /**
     * What is wrong with the %-encoding of a request path Tomcat would not decode ({@code %zz},
     * {@code %c0%af}), or {@code null}: the request line itself is valid HTTP, so "not valid
     * HTTP/1.1" would send its client looking in the wrong place.
     */
    static String pathEncodingProblem(String rawPath) {
        if (rawPath == null || rawPath.indexOf('%') < 0) {
            return null;
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < rawPath.length(); i++) {
            char c = rawPath.charAt(i);
            if (c != '%') {
                bytes.write(c);
                continue;
            }
            int high = i + 2 < rawPath.length() ? Character.digit(rawPath.charAt(i + 1), 16) : -1;
            int low = high < 0 ? -1 : Character.digit(rawPath.charAt(i + 2), 16);
            if (low < 0) {
                return "its path has a '%' that is not followed by two hex digits (RFC 3986)";
            }
            if (high == 0 && low == 0) {
                return "its path has an encoded NUL (%00)";
            }
            bytes.write(high * 16 + low);
            i += 2;
        }
        try {
            java.nio.charset.StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes.toByteArray()));
        } catch (java.nio.charset.CharacterCodingException e) {
            return "its path has %-encoded bytes that are not UTF-8";
        }
        return null;
    }

    /** Whether a message is the bundle's message {@code key}, whatever its argument. */
    private static boolean matches(String message, StringManager bundle, String key) {
        String marker = "\u0000";
        String[] parts = bundle.getString(key, marker).split(marker, -1);
        return parts.length == 2 && !parts[0].isEmpty() && message.startsWith(parts[0]) && message.endsWith(parts[1])
                && message.length() >= parts[0].length() + parts[1].length();
    }

    /**
     * What is wrong with the headers of a request Tomcat refused without an exception: it checks
     * Host, Content-Length and Transfer-Encoding after reading them, and says why only in its
     * debug log. {@code null} when none of those is it.
     */
    private static String headerProblem(org.apache.coyote.Request request) {
        MimeHeaders headers = request.getMimeHeaders();
        int hosts = 0;
        int lengths = 0;
        String length = null;
        boolean transferEncoding = false;
        for (int i = 0; i < headers.size(); i++) {
            String name = headers.getName(i).toString();
            if ("Host".equalsIgnoreCase(name)) {
                hosts++;
            } else if ("Content-Length".equalsIgnoreCase(name)) {
                lengths++;
                length = headers.getValue(i).toString();
            } else if ("Transfer-Encoding".equalsIgnoreCase(name)) {
                transferEncoding = true;
            }
        }
        if (hosts > 1) {
            return "it has more than one Host header";
        }
        if (hosts == 0 && "HTTP/1.1".equals(request.protocol().toString())) {
            return "it has no Host header, which HTTP/1.1 requires";
        }
        if (lengths > 1) {
            return "it has more than one Content-Length header";
        }
        if (length != null && !isLength(length.strip())) {
            return "its Content-Length is not a length in bytes (digits only, without a sign)";
        }
        if (transferEncoding) {
            return "its Transfer-Encoding is not valid (chunked once, and last)";
        }
        return null;
    }

    private static boolean isLength(String value) {
        // Tomcat reads a length into a long: 18 digits always fit.
        return !value.isEmpty() && value.length() <= 18 && value.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    private static AbstractHttp11Protocol<?> protocol(Request request) {
        return request.getConnector() != null && request.getConnector().getProtocolHandler() instanceof AbstractHttp11Protocol<?> http
                ? http : null;
    }

    /**
     * The path of the request line as the client sent it, where Tomcat read it whole and it holds
     * nothing but printable ASCII (Tomcat refuses anything else in a request target, but a refusal
     * may come before it looked); {@code null} otherwise: a problem's instance is never a partial
     * or unchecked path.
     */
    private static String safePath(Request request) {
        org.apache.tomcat.util.buf.MessageBytes uri = request.getCoyoteRequest().requestURI();
        if (uri.isNull()) {
            return null;
        }
        String path = uri.toString();
        return path != null && path.startsWith("/") && path.chars().allMatch(c -> c > 0x20 && c < 0x7f) ? path : null;
    }
}
