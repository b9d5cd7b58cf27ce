package io.jobpool.config;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * The service refuses to start for a reason the operator fixes: the embedded store cannot be
 * opened (another process holds it, an earlier H2 store could not be imported), or security
 * settings are not read as written. Spring Boot prints it as "APPLICATION FAILED TO START" with
 * {@code action}, not as a stack trace of bean creation.
 */
final class StartRefusedException extends IllegalStateException {

    private final String description;
    private final String action;

    StartRefusedException(String description, String action, Throwable cause) {
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
}
