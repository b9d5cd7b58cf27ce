package io.jobpool.api;

import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;

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
        }
        response.setStatus(status);
        String title = Problems.titleFor(status);
        String detail = status >= 500 ? "the service failed to answer this request; the error is in its log"
                : "the request was refused before it reached the API: "
                        + (reason != null ? reason : title.toLowerCase(java.util.Locale.ROOT));
        String uri = request.getDecodedRequestURI();
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
}
