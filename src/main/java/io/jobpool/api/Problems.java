package io.jobpool.api;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * Problem details written where Spring MVC does not answer: servlet filters and the server's own
 * error reports. Same shape and type names as {@link ProblemHandler}'s.
 */
final class Problems {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    static final String MEDIA_TYPE = "application/problem+json";

    private static final Map<Integer, String> TYPES = Map.ofEntries(
            Map.entry(400, "validation"), Map.entry(401, "unauthorized"), Map.entry(403, "forbidden"),
            Map.entry(404, "not-found"), Map.entry(405, "method-not-allowed"), Map.entry(406, "not-acceptable"),
            Map.entry(408, "request-timeout"), Map.entry(413, "payload-too-large"), Map.entry(414, "uri-too-long"),
            Map.entry(415, "unsupported-media-type"), Map.entry(417, "expectation-failed"),
            Map.entry(431, "headers-too-large"), Map.entry(505, "http-version-not-supported"));

    private Problems() {}

    /**
     * The title of a status that has no more specific one, in the sentence case of every other
     * title ("Method not allowed", as the service's own refusals write it, not "Method Not Allowed").
     */
    static String titleFor(int status) {
        org.springframework.http.HttpStatus known = org.springframework.http.HttpStatus.resolve(status);
        if (known == null) {
            return "Error";
        }
        if (status == 414) {
            return "URI too long";
        }
        if (status == 400) {
            // The title of every validation problem, whichever layer refused the request.
            return "Invalid request";
        }
        String phrase = known.getReasonPhrase();
        return phrase.charAt(0) + phrase.substring(1).toLowerCase(java.util.Locale.ROOT);
    }

    /** The stable problem type of an HTTP status that has no more specific one. */
    static String typeFor(int status) {
        return TYPES.getOrDefault(status, status >= 500 ? "internal" : "validation");
    }

    static String json(int status, String type, String title, String detail, String instance) {
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", type);
        problem.put("title", title);
        problem.put("status", status);
        problem.put("detail", detail);
        if (instance != null) {
            problem.put("instance", instance);
        }
        return JSON.writeValueAsString(problem);
    }

    /** Writes a problem as the whole response; the caller stops the request there. */
    /**
     * The {@code Allow} header of an endpoint that takes {@code methods}: those, HEAD wherever GET
     * is (answered as GET without the body) and OPTIONS (answered on every path), sorted.
     */
    static String allow(java.util.Collection<org.springframework.http.HttpMethod> methods) {
        java.util.Set<String> allowed = new java.util.TreeSet<>();
        methods.forEach(method -> allowed.add(method.name()));
        if (allowed.contains("GET")) {
            allowed.add("HEAD");
        }
        allowed.add("OPTIONS");
        return String.join(", ", allowed);
    }

    static void write(HttpServletResponse response, int status, String type, String title, String detail, String instance)
            throws IOException {
        response.resetBuffer();
        response.setStatus(status);
        response.setContentType(MEDIA_TYPE);
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        response.getOutputStream().write(json(status, type, title, detail, instance).getBytes(StandardCharsets.UTF_8));
        response.flushBuffer();
    }

    /** A request URI as a problem's {@code instance}: only the path, at most 200 characters. */
    static String instance(String uri) {
        if (uri == null) {
            return null;
        }
        return uri.length() > 200 ? uri.substring(0, 200) : uri;
    }
}
