package io.jobpool.security;

import io.jobpool.config.JobpoolProperties;
import jakarta.servlet.DispatcherType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.web.servlet.HandlerExceptionResolver;

/**
 * Who may call what. With API keys configured every request but the management port's health and
 * Prometheus endpoints needs a valid key, and each endpoint a role: submitting, cancelling and
 * forgetting need {@code submit}, reading needs {@code read}, the pool needs {@code admin} (which
 * also grants the other two). Without keys everything is open, and the service says so.
 *
 * <p>401 and 403 are handed to Spring MVC's exception handling, so they are the same problem
 * details as every other error.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);

    @Bean
    ApiKeys apiKeys(JobpoolProperties properties) {
        ApiKeys keys = ApiKeys.of(properties.security().apiKeys());
        if (keys.enforced()) {
            log.info("API keys enforced: {} key(s) configured; every request needs Authorization: Bearer <key>", keys.count());
        }
        return keys;
    }

    /**
     * No observation of each security filter, authentication or authorization: they export no
     * metric the service documents, and timing eleven filters per request cost more CPU than the
     * controller. {@code http.server.requests} still times every request.
     */
    @Bean
    SecurityObservationSettings securityObservationSettings() {
        return SecurityObservationSettings.noObservations();
    }

    @Bean
    SecurityFilterChain apiSecurity(HttpSecurity http, ApiKeys keys,
            @Qualifier("handlerExceptionResolver") HandlerExceptionResolver resolver) throws Exception {
        http.csrf(AbstractHttpConfigurer::disable)
                .httpBasic(AbstractHttpConfigurer::disable)
                .formLogin(AbstractHttpConfigurer::disable)
                .logout(AbstractHttpConfigurer::disable)
                .requestCache(AbstractHttpConfigurer::disable)
                // Stateless, keys only: no session to manage or keep out of URLs, no servlet API
                // roles (Caller is the one reader of the authentication), and no anonymous token (a
                // request without a key has no authentication, and the rules answer 401 for it as
                // they would for an anonymous one). Each of these filters wraps or walks every request.
                .sessionManagement(AbstractHttpConfigurer::disable)
                .servletApi(AbstractHttpConfigurer::disable)
                .anonymous(AbstractHttpConfigurer::disable)
                .exceptionHandling(errors -> errors
                        .authenticationEntryPoint((request, response, e) -> resolver.resolveException(request, response, null,
                                new MissingKeyException(ApiKeyFilter.rejection(request))))
                        .accessDeniedHandler((request, response, e) -> resolver.resolveException(request, response, null, e)));
        if (!keys.enforced()) {
            return http.authorizeHttpRequests(requests -> requests.anyRequest().permitAll()).build();
        }
        http.addFilterBefore(new ApiKeyFilter(keys), AuthorizationFilter.class);
        http.authorizeHttpRequests(requests -> requests
                // Error dispatches render an error already decided on; the management port's probes
                // and scrapes carry no key (only health and prometheus are exposed there).
                .dispatcherTypeMatchers(DispatcherType.ERROR, DispatcherType.ASYNC).permitAll()
                .requestMatchers("/actuator/health", "/actuator/health/**", "/actuator/prometheus").permitAll()
                // Anything else on the management port needs a valid key and nothing more: with one,
                // a path it does not serve is a 404 whatever the key's roles, as on the API port.
                .requestMatchers(ManagementPort::is).authenticated()
                // The pool's operations, each with its method: a method or path the pool does not
                // have is a 405 or 404 for every key, as it was for an admin's (others got 403).
                .requestMatchers(HttpMethod.GET, "/v1/pool").hasRole("ADMIN")
                .requestMatchers(HttpMethod.HEAD, "/v1/pool").hasRole("ADMIN")
                .requestMatchers(HttpMethod.PUT, "/v1/pool").hasRole("ADMIN")
                .requestMatchers(HttpMethod.POST, "/v1/pool/close", "/v1/pool/open", "/v1/pool/join", "/v1/pool/terminate")
                        .hasRole("ADMIN")
                .requestMatchers(HttpMethod.POST, "/v1/jobs", "/v1/batches").hasAnyRole("SUBMIT", "ADMIN")
                .requestMatchers(HttpMethod.POST, "/v1/jobs/*/cancel", "/v1/batches/*/cancel",
                        "/v1/jobs/*/deliveries/*/retry", "/v1/batches/*/deliveries/*/retry").hasAnyRole("SUBMIT", "ADMIN")
                .requestMatchers(HttpMethod.DELETE, "/v1/jobs/*", "/v1/batches/*").hasAnyRole("SUBMIT", "ADMIN")
                .requestMatchers(HttpMethod.GET, "/v1/jobs", "/v1/jobs/**", "/v1/batches", "/v1/batches/**")
                        .hasAnyRole("READ", "ADMIN")
                // HEAD answers GET's status and headers (ready or not, failed, how long): reading too.
                .requestMatchers(HttpMethod.HEAD, "/v1/jobs", "/v1/jobs/**", "/v1/batches", "/v1/batches/**")
                        .hasAnyRole("READ", "ADMIN")
                .anyRequest().authenticated());
        return http.build();
    }
}
