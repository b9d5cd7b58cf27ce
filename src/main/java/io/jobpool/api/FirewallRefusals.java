package io.jobpool.api;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.security.web.firewall.RequestRejectedException;
import org.springframework.security.web.firewall.RequestRejectedHandler;

/**
 * Spring Security's firewall refuses a path that is not normalized ({@code //v1/jobs},
 * {@code /v1/./jobs}, {@code /v1/jobs;a=b}, an encoded slash) and header or parameter values with
 * control characters. Its default answer is a bare 400 whose error page said only "bad request";
 * this one says which rule the request broke. The firewall's messages quote the offending value
 * only for headers and parameters, which are not echoed; for a path they quote one of its own
 * fixed list of refused strings.
 */
final class FirewallRefusals implements RequestRejectedHandler {

    @Override
    public void handle(HttpServletRequest request, HttpServletResponse response, RequestRejectedException e) throws IOException {
        if (e.getMessage() != null && e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("header: \"authorization ")) {
            // A key with such bytes (UTF-8 of '€' holds 0x80-0x9F, C1 controls read as Latin-1) is
            // no key this service has: a credential that is wrong, 401 as any other, not a 400.
            response.setHeader("WWW-Authenticate", "Bearer realm=\"jobpool\"");
            Problems.write(response, 401, "unauthorized", "Unauthorized",
                    "the Authorization header holds characters no API key has (control characters, or bytes read as such)",
                    Problems.instance(request.getRequestURI()));
            return;
        }
        Problems.write(response, 400, "validation", Problems.titleFor(400), "the request was refused: " + reason(e.getMessage()),
                Problems.instance(request.getRequestURI()));
    }

    static String reason(String message) {
        String text = message == null ? "" : message;
        String malicious = "potentially malicious String \"";
        int quoted = text.indexOf(malicious);
        if (quoted >= 0 && text.endsWith("\"") && text.length() - quoted - malicious.length() <= 10) {
            return "its path holds '" + text.substring(quoted + malicious.length(), text.length() - 1)
                    + "': paths are sent normalized, without empty, '.' or '..' segments, ';' parameters or an encoded '/', '\\', '%' or NUL";
        }
        if (text.contains("not normalized")) {
            return "its path is not normalized (it has '.' or '..' segments, or an empty one)";
        }
        if (text.contains("printable ASCII")) {
            return "its path holds characters other than printable ASCII (send them %-encoded)";
        }
        if (text.contains("header")) {
            return "a header holds characters this service does not accept (control characters, or bytes read as such)";
        }
        if (text.contains("parameter")) {
            return "a query parameter holds characters this service does not accept (control characters, or bytes read as such)";
        }
        if (text.contains("domain")) {
            return "its Host header names a host this service does not answer for";
        }
        return "its path or headers hold something this service does not accept";
    }
}
