package io.jobpool.api;

import io.jobpool.job.JobException;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The error page of the servlet container ({@code /error}): errors that happened outside Spring
 * MVC's handlers (in a filter, or the container itself) become the same problem details as
 * everything else. Called directly, {@code /error} is an unknown path like any other.
 */
@RestController
class ProblemErrorController implements ErrorController {

    private static final Logger log = LoggerFactory.getLogger(ProblemErrorController.class);

    @RequestMapping("${server.error.path:/error}")
    ResponseEntity<String> error(HttpServletRequest request, jakarta.servlet.http.HttpServletResponse response) {
        if (response.isCommitted()) {
            // The container includes the error page in a response already under way (an NDJSON
            // stream the store failed under): a problem written into its body would read as one
            // more line of a successful answer. Nothing is added; the answer stays cut short.
            return ResponseEntity.noContent().build();
        }
        ErrorProblem problem = problemFor(request);
        return ResponseEntity.status(problem.status()).contentType(MediaType.parseMediaType(Problems.MEDIA_TYPE))
                .body(Problems.json(problem.status(), problem.type(), problem.title(), problem.detail(), Problems.instance(problem.uri())));
    }

    /** What an error dispatch answers, on the API port and on the management port alike. */
    static ErrorProblem problemFor(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        String uri = (String) request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
        if (!(code instanceof Integer status)) {
            return new ErrorProblem(404, "not-found", "Not found", "no such endpoint: " + request.getRequestURI(), request.getRequestURI());
        }
        Throwable error = (Throwable) request.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof JobException e) {
                return new ErrorProblem(ProblemHandler.statusOf(e), e.type(), e.title(), e.getMessage(), uri);
            }
        }
        if (status >= 500) {
            log.error("Unexpected error answering {} {} (status {})", request.getMethod(), uri, status, error);
            return new ErrorProblem(status, "internal", "Internal error",
                    "the service failed to answer this request; the error is in its log", uri);
        }
        String title = Problems.titleFor(status);
        String reason = title.toLowerCase(java.util.Locale.ROOT);
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof org.apache.coyote.BadRequestException e && plain(e.getMessage()) != null) {
                // Tomcat refused the body as it was read (a chunk size that is not hex, say).
                reason = "its body could not be read: " + plain(e.getMessage());
            }
        }
        Object message = request.getAttribute(RequestDispatcher.ERROR_MESSAGE);
        if (error == null && message instanceof String sent && plain(sent) != null) {
            // The container's own refusals say why in the message it sent the error with ("More
            // than the maximum allowed number of cookies, [200], were detected.").
            reason = plain(sent);
        }
        return new ErrorProblem(status, Problems.typeFor(status), title, "the request was refused: " + reason, uri);
    }

    /**
     * A container's message as part of a detail: lower case first, without its final period;
     * {@code null} when empty or when it is not a short line of printable ASCII, which no message
     * of Tomcat's is not.
     */
    private static String plain(String message) {
        if (message == null || message.isBlank() || message.length() > 200 || !message.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            return null;
        }
        String text = message.strip();
        text = text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
        // "TRACE method is not allowed" keeps its capitals: the first word is a name, not a word of the sentence.
        boolean name = text.length() > 1 && Character.isUpperCase(text.charAt(1));
        return name ? text : Character.toLowerCase(text.charAt(0)) + text.substring(1);
    }

    record ErrorProblem(int status, String type, String title, String detail, String uri) {}
}
