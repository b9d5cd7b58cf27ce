package io.jobpool.api;

import io.jobpool.job.JobException;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Every error is an RFC 9457 problem whose {@code type} is one of the stable names in the design
 * ({@code validation}, {@code not-found}, ...). Spring's own exceptions (bad JSON, wrong method,
 * unknown path) are given those names too, so a client handles one vocabulary.
 */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

    /** The HTTP status of each domain error; the job core names what went wrong, this decides how it is answered. */
    private static final Map<String, Integer> STATUS_BY_TYPE = Map.ofEntries(
            Map.entry("validation", 400), Map.entry("not-found", 404), Map.entry("job-not-ready", 409),
            Map.entry("job-finished", 409), Map.entry("queue-full", 429), Map.entry("pool-closed", 503),
            Map.entry("unknown-task", 422), Map.entry("idempotency-conflict", 422), Map.entry("payload-too-large", 413),
            Map.entry("webhook-target-refused", 422), Map.entry("job-failed", 424), Map.entry("job-cancelled", 424),
            Map.entry("too-many-waits", 429), Map.entry("batch-chunk", 409));

    static int statusOf(JobException e) {
        return STATUS_BY_TYPE.getOrDefault(e.type(), 400);
    }

    @ExceptionHandler(JobException.class)
    ResponseEntity<ProblemDetail> jobException(JobException e, HttpServletRequest request) {
        int status = statusOf(e);
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatusCode.valueOf(status), e.getMessage());
        problem.setType(URI.create(e.type()));
        problem.setTitle(e.title());
        problem.setInstance(instance(request.getRequestURI()));
        e.extensions().forEach(problem::setProperty);
        ResponseEntity.BodyBuilder response = ResponseEntity.status(status);
        // A full queue drains within seconds; a closed pool stays closed until an operator opens it,
        // which the server cannot foresee (openapi: Retry-After "when the server can tell"), and a
        // 1 s hint there only set clients polling.
        if (status == 429) {
            response.header(HttpHeaders.RETRY_AFTER, "1");
        }
        return response.body(problem);
    }

    /**
     * A method the endpoint does not take: its {@code Allow} lists every method it answers, HEAD
     * (with GET) and OPTIONS included, as {@code OPTIONS} on the same path does.
     */
    @Override
    protected ResponseEntity<Object> handleHttpRequestMethodNotSupported(
            org.springframework.web.HttpRequestMethodNotSupportedException ex, HttpHeaders headers, HttpStatusCode status,
            WebRequest request) {
        HttpHeaders allow = new HttpHeaders();
        allow.putAll(headers);
        if (ex.getSupportedHttpMethods() != null && !ex.getSupportedHttpMethods().isEmpty()) {
            allow.set(HttpHeaders.ALLOW, Problems.allow(ex.getSupportedHttpMethods()));
        }
        return super.handleHttpRequestMethodNotSupported(ex, allow, status, request);
    }

    /** No valid API key: 401 with the scheme a client should use. */
    @ExceptionHandler(AuthenticationException.class)
    ResponseEntity<ProblemDetail> unauthorized(AuthenticationException e, HttpServletRequest request) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.UNAUTHORIZED, e.getMessage());
        problem.setType(URI.create("unauthorized"));
        problem.setTitle("Unauthorized");
        problem.setInstance(instance(request.getRequestURI()));
        return ResponseEntity.status(HttpStatus.UNAUTHORIZED).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"jobpool\"")
                .body(problem);
    }

    /** A valid key without the role the endpoint needs. */
    @ExceptionHandler(AccessDeniedException.class)
    ResponseEntity<ProblemDetail> forbidden(AccessDeniedException e, HttpServletRequest request) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.FORBIDDEN,
                "this API key lacks the role " + request.getMethod() + " " + request.getRequestURI() + " needs" + rolesNeeded(e));
        problem.setType(URI.create("forbidden"));
        problem.setTitle("Forbidden");
        problem.setInstance(instance(request.getRequestURI()));
        return ResponseEntity.status(HttpStatus.FORBIDDEN).body(problem);
    }

    /** The roles that would have been let through, as configured ({@code ": admin or submit"}), when the decision names them. */
    private static String rolesNeeded(AccessDeniedException e) {
        if (e instanceof org.springframework.security.authorization.AuthorizationDeniedException denied
                && denied.getAuthorizationResult() instanceof org.springframework.security.authorization.AuthorityAuthorizationDecision decision
                && !decision.getAuthorities().isEmpty()) {
            return ": " + String.join(" or ", decision.getAuthorities().stream()
                    .map(authority -> authority.getAuthority().replaceFirst("^ROLE_", "").toLowerCase(java.util.Locale.ROOT))
                    .sorted().toList());
        }
        return "";
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<ProblemDetail> typeMismatch(MethodArgumentTypeMismatchException e, HttpServletRequest request) {
        return jobException(JobException.validation(e.getName(), "cannot be read from '" + e.getValue() + "'"), request);
    }

    /**
     * Spring Security's firewall checks a header's value when the header is first read, which for
     * {@code Idempotency-Key} is in the controller: a value with control characters or bytes it
     * does not accept is the client's error, not the service's.
     */
    @ExceptionHandler(org.springframework.security.web.firewall.RequestRejectedException.class)
    ResponseEntity<ProblemDetail> rejected(org.springframework.security.web.firewall.RequestRejectedException e,
            HttpServletRequest request) {
        return jobException(JobException.validation("headers",
                "hold a value with characters this service does not accept (control characters, or bytes read as such)"), request);
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e, HttpServletRequest request) {
        if (io.jobpool.job.StoreErrors.outOfReach(e)) {
            // The database is down or unreachable: the client did nothing wrong and can try again.
            log.warn("Could not answer {} {}: the store is out of reach ({}); answered 503", request.getMethod(),
                    request.getRequestURI(), e.toString());
            ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE,
                    "the job store could not answer just now (out of reach or busy); try again (a submission sent with an"
                            + " Idempotency-Key is safe to send again)");
            problem.setType(URI.create("store-unavailable"));
            problem.setTitle("Store unavailable");
            problem.setInstance(instance(request.getRequestURI()));
            return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, "5").body(problem);
        }
        if (unknownHealthPath(e)) {
            ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND,
                    "no such health component or group: " + instance(request.getRequestURI()));
            problem.setType(URI.create("not-found"));
            problem.setTitle("Not found");
            problem.setInstance(instance(request.getRequestURI()));
            return ResponseEntity.status(HttpStatus.NOT_FOUND).body(problem);
        }
        log.error("Unexpected error answering {} {}", request.getMethod(), request.getRequestURI(), e);
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR,
                "the service failed to answer this request; the error is in its log");
        problem.setType(URI.create("internal"));
        problem.setTitle("Internal error");
        return ResponseEntity.internalServerError().body(problem);
    }

    /**
     * An answer that could not be written. Without a cause no converter took the media type
     * negotiation chose: the request's {@code Accept} passed the handler mapping (which ignores
     * parameters) and was found unwritable only after the handler ran, as with
     * {@code application/json;charset=ISO-8859-1} before {@link RequestScreeningFilter} dropped
     * charsets. That is the client's Accept, so a 406, never a 500 of a type no client knows; but
     * the operation has taken effect, and the detail says so, lest a retry do it twice. It is
     * logged as an error: such an Accept should have been refused (or mended) before anything ran.
     * With a cause, serializing our own answer failed: a fault of the service, answered as one.
     */
    @Override
    protected ResponseEntity<Object> handleHttpMessageNotWritable(org.springframework.http.converter.HttpMessageNotWritableException e,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        HttpServletRequest servlet = ((ServletWebRequest) request).getRequest();
        if (e.getCause() != null) {
            return asObject(unexpected(e, servlet));
        }
        String accept = servlet.getHeader(HttpHeaders.ACCEPT);
        log.error("Answered {} {} with 406 after it was carried out: its answer could not be written for Accept '{}' ({})",
                servlet.getMethod(), servlet.getRequestURI(), accept, e.getMessage());
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_ACCEPTABLE,
                "the request was carried out, but its answer cannot be written as the Accept header asks; bodies are"
                        + " application/json in UTF-8 (do not send the request again to read the outcome)");
        problem.setType(URI.create("not-acceptable"));
        problem.setTitle(Problems.titleFor(406));
        problem.setInstance(instance(servlet.getRequestURI()));
        return asObject(ResponseEntity.status(HttpStatus.NOT_ACCEPTABLE).body(problem));
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException e, HttpHeaders headers,
            HttpStatusCode status, WebRequest request) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof JobException jobException) {
                return asObject(jobException(jobException, ((ServletWebRequest) request).getRequest()));
            }
        }
        Throwable specific = e.getMostSpecificCause();
        JobException.FieldError field = fieldError(specific);
        if (field != null) {
            return asObject(jobException(JobException.validation(java.util.List.of(field)), ((ServletWebRequest) request).getRequest()));
        }
        if (specific == e && e.getMessage() != null && e.getMessage().startsWith("Required request body is missing")) {
            // Spring's message names the controller method; the client needs only this.
            return asObject(jobException(JobException.validation("body", "is required: a JSON object"),
                    ((ServletWebRequest) request).getRequest()));
        }
        if (specific instanceof tools.jackson.databind.exc.MismatchedInputException mismatch && mismatch.getPath().isEmpty()) {
            // Well-formed JSON of another shape ([], "x", 1): Jackson's message names the Java class.
            return asObject(jobException(JobException.validation("body", "must be a JSON object"),
                    ((ServletWebRequest) request).getRequest()));
        }
        return asObject(jobException(JobException.validation("body", "is not valid JSON for this request: " + syntaxError(specific)),
                ((ServletWebRequest) request).getRequest()));
    }

    /**
     * The actuator's health endpoint asked for a path under a component that does not exist
     * ({@code /actuator/health/x/y}): Spring Boot's lookup asserts on the missing component
     * instead of answering 404 as it does for {@code /actuator/health/x}.
     */
    private static boolean unknownHealthPath(Exception e) {
        return e instanceof IllegalStateException && e.getStackTrace().length > 0
                && java.util.Arrays.stream(e.getStackTrace()).limit(8)
                        .anyMatch(frame -> frame.getClassName().endsWith(".HealthEndpointSupport"));
    }

    /**
     * What is wrong with a body that is not JSON, and where, in the client's terms. Jackson's
     * message adds a source excerpt and a reference chain, names the Java method behind a broken
     * limit, and suggests parser features to enable ({@code JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS}):
     * settings of ours a client cannot change. The first line without those says what is wrong.
     */
    static String syntaxError(Throwable cause) {
        String message = cause instanceof tools.jackson.core.JacksonException jackson ? jackson.getOriginalMessage() : cause.getMessage();
        if (message == null) {
            return "malformed";
        }
        message = message.lines().findFirst().orElse(message)
                .replaceAll(" \\(through reference chain: .*\\)$", "")
                // "(start marker at [Source: REDACTED (`StreamReadFeature…` disabled); byte offset: #UNKNOWN])"
                .replaceAll(" ?\\(start marker at \\[Source: .*\\]\\)", "")
                .replaceAll(", from `[^`]*`", "")
                .replaceAll(": enable `[^`]*` to allow", "")
                .replaceAll(" ?\\(not recognized as one since Feature '[A-Z_]+' not enabled for parser\\)", "");
        if (message.matches("Non-standard token '[+-]?(NaN|Infinity|INF)'.*")) {
            message += ": NaN and Infinity are not JSON numbers";
        }
        if (cause instanceof tools.jackson.core.JacksonException jackson && jackson.getLocation() != null
                && jackson.getLocation().getLineNr() > 0) {
            message += " (line " + jackson.getLocation().getLineNr() + ", column " + jackson.getLocation().getColumnNr() + ")";
        }
        return message;
    }

    /**
     * The field a well-formed body got wrong (an unknown field, or a value of the wrong type), in
     * the API's terms: {@code chunksize}, {@code items[3]}, and what it should be, without the
     * Java class names Jackson's message carries. {@code null} for broken JSON.
     */
    static JobException.FieldError fieldError(Throwable cause) {
        if (!(cause instanceof tools.jackson.core.JacksonException mapping) || mapping.getPath().isEmpty()) {
            return null;
        }
        StringBuilder path = new StringBuilder();
        for (tools.jackson.core.JacksonException.Reference reference : mapping.getPath()) {
            if (reference.getPropertyName() != null) {
                path.append(path.isEmpty() ? "" : ".").append(reference.getPropertyName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        if (path.isEmpty()) {
            return null;
        }
        if (cause instanceof tools.jackson.databind.exc.UnrecognizedPropertyException) {
            return new JobException.FieldError(path.toString(), "is not a field of this request");
        }
        if (cause instanceof tools.jackson.databind.exc.MismatchedInputException mismatch && mismatch.getTargetType() != null) {
            return new JobException.FieldError(path.toString(), "must be " + expected(mismatch.getTargetType(), false));
        }
        if (cause instanceof tools.jackson.core.exc.InputCoercionException coercion && coercion.getTargetType() != null) {
            return new JobException.FieldError(path.toString(), "must be " + expected(coercion.getTargetType(), true));
        }
        return null;
    }

    /** @param outOfRange the value was a number too large for the type: only then is its limit the news */
    private static String expected(Class<?> type, boolean outOfRange) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "a whole number" + (outOfRange && (type == Integer.class || type == int.class) ? " up to " + Integer.MAX_VALUE : "");
        }
        if (Number.class.isAssignableFrom(type) || type.isPrimitive() && type != boolean.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (java.util.Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        return "a JSON value of another type";
    }

    @Override
    protected ResponseEntity<Object> handleExceptionInternal(Exception e, Object body, HttpHeaders headers,
            HttpStatusCode statusCode, WebRequest request) {
        ResponseEntity<Object> response = super.handleExceptionInternal(e, body, headers, statusCode, request);
        if (response != null && response.getBody() instanceof ProblemDetail problem) {
            problem.setType(URI.create(typeFor(statusCode.value())));
            problem.setTitle(Problems.titleFor(statusCode.value()));
            String path = request instanceof ServletWebRequest servlet ? servlet.getRequest().getRequestURI() : null;
            problem.setInstance(instance(path));
            // Spring's own wording names its internals ("No static resource ...", "Content-Type 'null'").
            if (e instanceof org.springframework.web.servlet.resource.NoResourceFoundException) {
                problem.setDetail("no such endpoint: " + Problems.instance(path));
            } else if (e instanceof org.springframework.web.HttpMediaTypeNotSupportedException unsupported) {
                // What the client sent, not Spring's reading of it: with none, Spring names the
                // application/octet-stream it assumed; a type that does not parse has no reading.
                String sent = request.getHeader(HttpHeaders.CONTENT_TYPE);
                String shown = sent == null ? null : sent.length() > 100 ? sent.substring(0, 100) + "..." : sent;
                problem.setDetail(sent == null || sent.isBlank() ? "the request has no Content-Type; request bodies are application/json"
                        : unsupported.getContentType() != null ? "request bodies are application/json; '" + shown + "' is not accepted"
                        : "Content-Type '" + shown + "' is not a valid media type; request bodies are application/json");
            }
        }
        return response;
    }

    private static String typeFor(int status) {
        return Problems.typeFor(status);
    }

    /** The request path as a problem's {@code instance}; a path that is no valid URI is left out. */
    static URI instance(String path) {
        try {
            return path == null ? null : URI.create(Problems.instance(path));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static ResponseEntity<Object> asObject(ResponseEntity<ProblemDetail> response) {
        return (ResponseEntity) response;
    }
}
