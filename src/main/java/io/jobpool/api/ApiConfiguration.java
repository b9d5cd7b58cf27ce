package io.jobpool.api;

import io.jobpool.config.JobpoolProperties;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import org.apache.catalina.core.StandardHost;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterProperties;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.ServletRequestPathUtils;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.cfg.MutableCoercionConfig;
import tools.jackson.databind.type.LogicalType;

/** Wires what the HTTP API needs besides its controllers. */
@Configuration(proxyBeanMethods = false)
class ApiConfiguration implements org.springframework.web.servlet.config.annotation.WebMvcConfigurer {

    @Override
    public void addInterceptors(org.springframework.web.servlet.config.annotation.InterceptorRegistry registry) {
        registry.addInterceptor(new QueryParameterCheck());
    }

    /**
     * A number or a boolean of a request is given as one: {@code "timeoutSeconds": "5"} or
     * {@code "starmap": 1} is the client's mistake, answered as such, not a value to guess at. A
     * name given twice in one object ({@code {"task":"echo","task":"fail"}}, or inside
     * {@code args}) is refused too: which one counts would be the parser's choice, not the
     * client's (RFC 8259: names SHOULD be unique).
     */
    @Bean
    JsonMapperBuilderCustomizer strictScalars() {
        return builder -> builder.enable(tools.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .withCoercionConfig(LogicalType.Integer, strict -> refuse(strict, CoercionInputShape.String, CoercionInputShape.EmptyString))
                .withCoercionConfig(LogicalType.Float, strict -> refuse(strict, CoercionInputShape.String, CoercionInputShape.EmptyString))
                .withCoercionConfig(LogicalType.Boolean, strict -> refuse(strict, CoercionInputShape.String, CoercionInputShape.EmptyString,
                        CoercionInputShape.Integer, CoercionInputShape.Float));
    }

    private static void refuse(MutableCoercionConfig config, CoercionInputShape... shapes) {
        for (CoercionInputShape shape : shapes) {
            config.setCoercion(shape, CoercionAction.Fail);
        }
    }

    /**
     * Refuses unparseable query strings and form bodies first, before any other filter reads them;
     * a method no endpoint has gets the methods of the endpoint at its path, as Spring MVC answers a
     * known method the endpoint does not take. The handler mapping is looked up at the first such
     * request: filters are made before Spring MVC.
     */
    @Bean
    FilterRegistrationBean<RequestScreeningFilter> requestScreeningFilter(
            @Qualifier("requestMappingHandlerMapping") ObjectProvider<RequestMappingHandlerMapping> mappings) {
        return requestScreening(new RequestScreeningFilter(request -> allowedAt(mappings.getObject(), request), true));
    }

    /** The screening filter ahead of every other, on the API port and on the management port. */
    static FilterRegistrationBean<RequestScreeningFilter> requestScreening(RequestScreeningFilter filter) {
        FilterRegistrationBean<RequestScreeningFilter> registration = new FilterRegistrationBean<>(filter);
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }

    /**
     * The methods Spring MVC's endpoint at the request's path takes, asked as for a {@code PATCH},
     * which no endpoint answers; {@code null} when no endpoint has that path.
     */
    static String allowedAt(RequestMappingHandlerMapping mapping, HttpServletRequest request) {
        HttpServletRequest probe = new HttpServletRequestWrapper(request) {
            @Override
            public String getMethod() {
                return "PATCH";
            }
        };
        Object previousPath = request.getAttribute(ServletRequestPathUtils.PATH_ATTRIBUTE);
        try {
            ServletRequestPathUtils.parseAndCache(probe);
            return mapping.getHandler(probe) == null ? null : RequestScreeningFilter.ALLOW;
        } catch (HttpRequestMethodNotSupportedException e) {
            java.util.Set<org.springframework.http.HttpMethod> supported = e.getSupportedHttpMethods();
            return supported == null || supported.isEmpty() ? RequestScreeningFilter.ALLOW : Problems.allow(supported);
        } catch (Exception e) {
            return RequestScreeningFilter.ALLOW;
        } finally {
            request.setAttribute(ServletRequestPathUtils.PATH_ATTRIBUTE, previousPath);
        }
    }

    /**
     * Bounds every request body of the API ({@code jobpool.jobs.max-request-bytes}). Runs just after
     * Spring Security's filter chain: a caller without a valid key or the role gets 401 or 403 and
     * does not learn the limit from a 413. Neither reads the body, so an oversize one is still not
     * read into memory; the container discards what was sent.
     */
    @Bean
    FilterRegistrationBean<RequestSizeFilter> requestSizeFilter(JobpoolProperties properties) {
        FilterRegistrationBean<RequestSizeFilter> registration =
                new FilterRegistrationBean<>(new RequestSizeFilter(properties.jobs().maxRequestBytes().toBytes(),
                        properties.jobs().maxBatchRequestBytes().toBytes()));
        registration.addUrlPatterns("/v1/*");
        registration.setOrder(SecurityFilterProperties.DEFAULT_FILTER_ORDER + 1);
        return registration;
    }

    /** Spring Security's firewall says which of its rules a request broke, not only "bad request". */
    @Bean
    org.springframework.security.web.firewall.RequestRejectedHandler firewallRefusals() {
        return new FirewallRefusals();
    }

    /** Bounds the waiting requests each caller may have open. */
    @Bean
    LongPolls longPolls(JobpoolProperties properties) {
        return new LongPolls(properties.security().maxLongPollsPerKey());
    }

    /** Tomcat's error report for requests it refuses itself is a problem detail too. */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemErrorReports() {
        return problemErrorReportValve();
    }

    /** The API port's waiting requests can tell whether their client is still there. */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> clientConnections() {
        return factory -> factory.addContextValves(new ClientConnectionValve());
    }

    static WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemErrorReportValve() {
        return factory -> {
            factory.addContextCustomizers(context -> {
                if (context.getParent() instanceof StandardHost host) {
                    host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
                }
            });
            // TRACE goes on to the screening filter, which answers it 405 with the methods of the
            // endpoint at its path (no endpoint serves TRACE). Refused by the connector instead,
            // its Allow listed every method the servlet implements, PUT and DELETE on /v1/jobs too.
            factory.addConnectorCustomizers(connector -> connector.setAllowTrace(true));
            // "100 Continue" once the body is read, not as soon as the headers arrive: a body
            // declared past the limit is answered 413 before the client sends it (RFC 9110, 10.1.1).
            factory.addConnectorCustomizers(connector -> connector.setProperty("continueResponseTiming", "onRead"));
        };
    }
}
