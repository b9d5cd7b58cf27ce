package io.jobpool.security;

import org.springframework.security.core.AuthenticationException;

/** A request that needs an API key came without a valid one. */
public final class MissingKeyException extends AuthenticationException {

    private final boolean presented;

    MissingKeyException(boolean presented) {
        super(presented ? "the API key is not valid" : "this request needs an API key: Authorization: Bearer <key>");
        this.presented = presented;
    }

    /** Whether a key was sent (and was wrong), as opposed to none at all. */
    public boolean presented() {
        return presented;
    }
}
