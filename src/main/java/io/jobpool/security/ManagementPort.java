package io.jobpool.security;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.web.servlet.ServletContextInitializer;

/**
 * Tells the management port's requests from the API port's. Both ports share one security filter
 * chain, so without this an API path asked on the management port met the API's role rules and
 * got a 403 naming an endpoint that port does not serve, where README promises a 404.
 */
public final class ManagementPort {

    private static final String ATTRIBUTE = ManagementPort.class.getName();

    private ManagementPort() {}

    /** Marks the servlet context it is registered in (the management port's own) as the management port. */
    public static ServletContextInitializer marker() {
        return servletContext -> servletContext.setAttribute(ATTRIBUTE, Boolean.TRUE);
    }

    static boolean is(HttpServletRequest request) {
        return request.getServletContext().getAttribute(ATTRIBUTE) != null;
    }
}
