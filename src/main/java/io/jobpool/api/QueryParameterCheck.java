package io.jobpool.api;

import io.jobpool.job.JobException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.lang.reflect.Parameter;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;

/**
 * Refuses a query parameter the endpoint does not take, as an unknown body field is refused: a
 * misspelt {@code ?wiat=10} would otherwise submit without waiting, and {@code ?stauts=FAILED} list
 * every job, with nothing to tell the client its request meant something else.
 */
final class QueryParameterCheck implements HandlerInterceptor {

    /** Each endpoint method's {@code @RequestParam} names, sorted. */
    private final Map<java.lang.reflect.Method, List<String>> taken = new ConcurrentHashMap<>();

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        // The API's own endpoints as a client calls them; an error dispatch still carries the
        // original request's parameters, and /error answers whatever was asked.
        if (request.getDispatcherType() != jakarta.servlet.DispatcherType.REQUEST || !(handler instanceof HandlerMethod method)
                || !method.getBeanType().getPackageName().equals(getClass().getPackageName())
                || org.springframework.boot.webmvc.error.ErrorController.class.isAssignableFrom(method.getBeanType())) {
            return true;
        }
        List<String> names = taken.computeIfAbsent(method.getMethod(), QueryParameterCheck::requestParams);
        for (Enumeration<String> given = request.getParameterNames(); given.hasMoreElements(); ) {
            String name = given.nextElement();
            if (!names.contains(name)) {
                throw JobException.validation(name, "is not a parameter of " + request.getMethod() + " " + pattern(request)
                        + (names.isEmpty() ? ", which takes none" : "; it takes " + String.join(", ", names)));
            }
        }
        return true;
    }

    private static List<String> requestParams(java.lang.reflect.Method method) {
        Set<String> names = new TreeSet<>();
        for (Parameter parameter : method.getParameters()) {
            RequestParam param = parameter.getAnnotation(RequestParam.class);
            if (param != null) {
                names.add(!param.name().isEmpty() ? param.name() : !param.value().isEmpty() ? param.value() : parameter.getName());
            }
        }
        return List.copyOf(names);
    }

    private static String pattern(HttpServletRequest request) {
        Object pattern = request.getAttribute(org.springframework.web.servlet.HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
        return pattern != null ? pattern.toString() : request.getRequestURI();
    }
}
