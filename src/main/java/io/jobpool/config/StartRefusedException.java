package io.jobpool.config;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * The service refuses to start for a reason the operator fixes: the embedded store cannot be
 * opened (another process holds it, an earlier H2 store could not be imported), or security
 * settings are not read as written, a setting no worker can start with, a task name in two
 * runtimes. Spring Boot prints it as "APPLICATION FAILED TO START" with
 * {@code action}, not as a stack trace of bean creation.
 */
public final class StartRefusedException extends IllegalStateException {

    private final String description;
    private final String action;

    public StartRefusedException(String description, String action, Throwable cause) {
        super(description + ". " + action, cause);
        this.description = description;
        this.action = action;
    }

    /** Registered in {@code META-INF/spring.factories}. */
    public static final class Analyzer extends AbstractFailureAnalyzer<StartRefusedException> {
        @Override
        protected FailureAnalysis analyze(Throwable rootFailure, StartRefusedException cause) {
            return new FailureAnalysis(cause.description, cause.action, cause);
        }
    }

    /**
     * An {@link IllegalArgumentException} thrown by jobpool's own code while the service starts
     * names a setting it cannot start with (a webhook secret of the wrong size, a {@code
     * worker-env} entry naming a server secret): nothing else hands its code arguments before the
     * first request. Printed like the other refused settings, not as a 200-line trace of bean
     * creation. Registered in {@code META-INF/spring.factories}.
     */
    public static final class SettingAnalyzer extends AbstractFailureAnalyzer<IllegalArgumentException> {

        private final org.springframework.core.env.Environment environment;

        public SettingAnalyzer(org.springframework.core.env.Environment environment) {
            this.environment = environment;
        }

        @Override
        protected FailureAnalysis analyze(Throwable rootFailure, IllegalArgumentException cause) {
            StackTraceElement[] trace = cause.getStackTrace();
            if (trace.length == 0 || !trace[0].getClassName().startsWith("io.jobpool.") || cause.getMessage() == null) {
                return null;
            }
            StringBuilder description = new StringBuilder(cause.getMessage());
            if (environment != null) {
                // Task settings are bound after the rest: a start stopped by another setting names them too.
                for (String problem : JobpoolProperties.TaskSettings.problems(environment)) {
                    if (description.indexOf(problem) < 0) {
                        description.append("; ").append(problem);
                    }
                }
            }
            return new FailureAnalysis(description.toString(), "Change the settings named above and start again.", cause);
        }
    }

    /**
     * A list of plain values set with a gap in its numbering ({@code JOBPOOL_WEBHOOKS_ALLOWEDHOSTS_0}
     * and {@code _2}): Spring Boot binds such a list up to the gap and then refuses the start,
     * naming a {@code Bindable@...}. Said in the terms of the settings instead. (A gap in a list of
     * objects, such as {@code api-keys}, is found before binding: see {@code UnknownSettings}.)
     * Ordered first, ahead of Spring Boot's own analyzer of the same failure.
     */
    @org.springframework.core.annotation.Order(org.springframework.core.Ordered.HIGHEST_PRECEDENCE)
    public static final class ListGapAnalyzer
            extends AbstractFailureAnalyzer<org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException> {

        @Override
        protected FailureAnalysis analyze(Throwable rootFailure,
                org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException cause) {
            java.util.List<String> names = cause.getUnboundProperties().stream().map(p -> p.getName().toString()).sorted().toList();
            if (names.isEmpty() || !names.stream().allMatch(name -> name.startsWith("jobpool."))) {
                return null;
            }
            String first = names.getFirst();
            String list = UnknownSettings.documented(first.contains("[") ? first.substring(0, first.indexOf('[')) : first);
            return new FailureAnalysis(list + names.stream().map(name -> name.substring(Math.max(0, name.indexOf('['))))
                    .collect(java.util.stream.Collectors.joining(", ")) + " cannot be read: " + list
                    + " has a gap in its numbering, and a list is read up to its first missing index",
                    "Number the entries of " + list + " from 0 without gaps (JOBPOOL_..._0, _1, _2) and start again.", cause);
        }
    }
}
