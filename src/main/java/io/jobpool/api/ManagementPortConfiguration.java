package io.jobpool.api;

import io.jobpool.security.ManagementPort;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextType;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.ServletContextInitializer;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The management port (actuator on its own port runs in a child context with a Tomcat of its own)
 * refuses what a client gets wrong the way the API port does: a malformed query string or an
 * unknown method is a 400/405 problem before Spring Security's firewall throws on it (a 500), and
 * what Tomcat or an error dispatch answers is a problem detail, not Tomcat's HTML page or Spring's
 * default error JSON.
 *
 * <p>Listed in {@code META-INF/spring/...ManagementContextConfiguration.imports}, and kept out of
 * the application's component scan ({@code JobpoolApplication}), which would otherwise add these
 * beans to the API's context a second time.
 */
@ManagementContextConfiguration(value = ManagementContextType.CHILD, proxyBeanMethods = false)
public class ManagementPortConfiguration {

    @Bean
    FilterRegistrationBean<RequestScreeningFilter> managementRequestScreening() {
        return ApiConfiguration.requestScreening(new RequestScreeningFilter());
    }

    /** Lets the security rules tell this port's requests from the API port's. */
    @Bean
    ServletContextInitializer managementPortMarker() {
        return ManagementPort.marker();
    }

    @Bean
    FilterRegistrationBean<ErrorDispatchProblems> managementErrorProblems() {
        FilterRegistrationBean<ErrorDispatchProblems> registration = new FilterRegistrationBean<>(new ErrorDispatchProblems());
        registration.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ERROR);
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> managementProblemErrorReports() {
        return ApiConfiguration.problemErrorReportValve();
    }

    /**
     * Answers the management port's error dispatches itself, as {@link ProblemErrorController} does
     * on the API port, in place of the actuator's own error endpoint.
     */
    static final class ErrorDispatchProblems extends OncePerRequestFilter {

        @Override
        protected boolean shouldNotFilterErrorDispatch() {
            return false;
        }

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            if (request.getDispatcherType() != DispatcherType.ERROR) {
                if ("/error".equals(request.getRequestURI())) {
                    // The actuator's error endpoint answered a client's own request with 200 and
                    // status 999; this port serves the actuator's endpoints and nothing else.
                    Problems.write(response, 404, "not-found", "Not found", "no such endpoint: /error", "/error");
                    return;
                }
                chain.doFilter(request, response);
                return;
            }
            ProblemErrorController.ErrorProblem problem = ProblemErrorController.problemFor(request);
            Problems.write(response, problem.status(), problem.type(), problem.title(), problem.detail(),
                    Problems.instance(problem.uri()));
        }
    }
}
