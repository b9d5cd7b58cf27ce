package io.jobpool.config;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * The embedded store cannot be opened for a reason the operator fixes (another process holds it,
 * an earlier H2 store could not be imported). Spring Boot prints it as "APPLICATION FAILED TO
 * START" with {@code action}, not as a stack trace of bean creation.
 */
final class EmbeddedStoreException extends IllegalStateException {

    private final String description;
    private final String action;

    EmbeddedStoreException(String description, String action, Throwable cause) {
        super(description + ". " + action, cause);
        this.description = description;
        this.action = action;
    }

    /** Registered in {@code META-INF/spring.factories}. */
    public static final class Analyzer extends AbstractFailureAnalyzer<EmbeddedStoreException> {
        @Override
        protected FailureAnalysis analyze(Throwable rootFailure, EmbeddedStoreException cause) {
            return new FailureAnalysis(cause.description, cause.action, cause);
        }
    }
}
