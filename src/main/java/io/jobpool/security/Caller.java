package io.jobpool.security;

import io.jobpool.config.JobpoolProperties.Role;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Set;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * Who sent the request being answered: the name of its API key and the key's roles. This is the
 * one place the owner of a job or batch comes from.
 *
 * @param name the key's name, or {@code null} when the service runs open
 */
public record Caller(String name, Set<Role> roles) {

    /** The caller of a service that runs open: no name, may do everything. */
    public static final Caller OPEN = new Caller(null, EnumSet.allOf(Role.class));

    public Caller {
        roles = Set.copyOf(roles);
    }

    /** The caller of the request this thread is answering; {@link #OPEN} without authentication. */
    public static Caller current() {
        Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
        if (authentication != null && authentication.getPrincipal() instanceof Caller caller) {
            return caller;
        }
        return OPEN;
    }

    /** The owner recorded on what this caller submits: its key's name ({@code null} when open). */
    public String owner() {
        return name;
    }

    /**
     * The owner whose jobs this caller may see: its own name, or {@code null} (everyone's) for an
     * {@code admin} key and for an open service.
     */
    public String visibleOwner() {
        return roles.contains(Role.ADMIN) ? null : name;
    }

    public boolean has(Role role) {
        return roles.contains(role);
    }

    /** Spring Security authority names of the roles ({@code ROLE_SUBMIT}, ...). */
    Collection<String> authorities() {
        return roles.stream().map(role -> "ROLE_" + role.name()).toList();
    }
}
