package io.jobpool.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Enumeration;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Reads {@code Authorization: Bearer <key>} and, when the key is a configured one, makes its
 * {@link Caller} the request's authentication. A missing or wrong key leaves the request anonymous;
 * the authorization rules then answer 401 wherever a key is needed, so this filter never decides
 * alone and never says which part was wrong.
 */
final class ApiKeyFilter extends OncePerRequestFilter {

    /** Request attribute set, to the {@link MissingKeyException.Reason}, when a key was presented but is not taken. */
    static final String REJECTED_KEY = ApiKeyFilter.class.getName() + ".rejected";

    private final ApiKeys keys;

    ApiKeyFilter(ApiKeys keys) {
        this.keys = keys;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Enumeration<String> headers = request.getHeaders("Authorization");
        String header = headers.hasMoreElements() ? headers.nextElement() : null;
        if (header != null && headers.hasMoreElements()) {
            // RFC 9110 allows one Authorization field. Taking either of two would let a proxy that
            // checks the other one and this service disagree on who is calling, so neither counts.
            request.setAttribute(REJECTED_KEY, MissingKeyException.Reason.SEVERAL_HEADERS);
        } else if (header != null) {
            String key = bearer(header);
            var caller = keys.authenticate(key);
            if (caller.isPresent()) {
                var context = SecurityContextHolder.createEmptyContext();
                context.setAuthentication(new KeyAuthentication(caller.get()));
                SecurityContextHolder.setContext(context);
            } else {
                request.setAttribute(REJECTED_KEY, MissingKeyException.Reason.NOT_VALID);
            }
        }
        chain.doFilter(request, response);
    }

    /** Why a request that needs a key has none the filter took. */
    static MissingKeyException.Reason rejection(HttpServletRequest request) {
        return request.getAttribute(REJECTED_KEY) instanceof MissingKeyException.Reason reason ? reason : MissingKeyException.Reason.NONE;
    }

    private static String bearer(String header) {
        // RFC 9110: the scheme is case-insensitive; the key itself is taken as sent.
        if (header.length() > 7 && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return header.substring(7).strip();
        }
        return null;
    }

    /** An authenticated API key; the key itself is not kept. */
    static final class KeyAuthentication extends AbstractAuthenticationToken {

        private final Caller caller;

        KeyAuthentication(Caller caller) {
            super(AuthorityUtils.createAuthorityList(caller.authorities()));
            this.caller = caller;
            setAuthenticated(true);
        }

        @Override
        public Object getCredentials() {
            return null;
        }

        @Override
        public Object getPrincipal() {
            return caller;
        }

        @Override
        public String getName() {
            return caller.name();
        }
    }
}
