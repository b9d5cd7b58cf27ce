package io.jobpool.security;

import org.springframework.security.core.AuthenticationException;

/** A request that needs an API key came without a valid one. */
public final class MissingKeyException extends AuthenticationException {

    /** Why the request has no valid key; the detail says it without saying which part was wrong. */
    public enum Reason {
        NONE("this request needs an API key: Authorization: Bearer <key>"),
        NOT_VALID("the API key is not valid"),
        SEVERAL_HEADERS("the request has more than one Authorization header; send exactly one: Authorization: Bearer <key>");

        private final String detail;

        Reason(String detail) {
            this.detail = detail;
        }
    }

    private final Reason reason;

    MissingKeyException(Reason reason) {
        super(reason.detail);
        this.reason = reason;
    }

    /** Whether a key was sent (and was not taken), as opposed to none at all. */
    public boolean presented() {
        return reason != Reason.NONE;
    }
}
