package io.jobpool.api;

import io.jobpool.config.JobpoolProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires what the HTTP API needs besides its controllers. */
@Configuration(proxyBeanMethods = false)
class ApiConfiguration {

    /** Bounds every request body of the API ({@code jobpool.jobs.max-request-bytes}). */
    @Bean
    FilterRegistrationBean<RequestSizeFilter> requestSizeFilter(JobpoolProperties properties) {
        FilterRegistrationBean<RequestSizeFilter> registration =
                new FilterRegistrationBean<>(new RequestSizeFilter(properties.jobs().maxRequestBytes().toBytes(),
                        properties.jobs().maxBatchRequestBytes().toBytes()));
        registration.addUrlPatterns("/v1/*");
        return registration;
    }
}
