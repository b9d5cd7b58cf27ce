package io.jobpool.webhook;

import io.jobpool.job.CallbackTargets;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.boot.http.client.InetAddressFilter;

/**
 * The SSRF guard: a webhook may only go over http or https to a host whose every address is public.
 * Checked at submit (a refusal is a 422) and again before each attempt, because DNS may change in
 * between. Operators open it with {@code allow-private-targets} or per host with
 * {@code allowed-hosts}.
 */
final class TargetGuard implements CallbackTargets {

    /**
     * Spring Boot's filter for public unicast addresses: it excludes loopback, private (10/8,
     * 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 with the cloud metadata address,
     * fe80::/10), multicast, the unspecified address and the other RFC 6890 special-purpose blocks
     * (100.64/10, ...).
     */
    static final InetAddressFilter PUBLIC = InetAddressFilter.externalAddresses();

    /** Resolves a host to all its addresses; a seam so tests need no DNS of their own. */
    @FunctionalInterface
    interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private final boolean allowPrivateTargets;
    private final Set<String> allowedHosts;
    private final Resolver resolver;

    TargetGuard(boolean allowPrivateTargets, Collection<String> allowedHosts, Resolver resolver) {
        this.allowPrivateTargets = allowPrivateTargets;
        this.allowedHosts = allowedHosts.stream().map(host -> host.strip().toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
        this.resolver = resolver;
    }

    @Override
    public void check(String field, String url) {
        if (url != null) {
            // A host that does not resolve now (no DNS yet, a record about to be created) is not
            // known to be private; it is accepted here and checked again before every attempt.
            refusal(url, false).ifPresent(reason -> {
                throw new WebhookTargetRefusedException(field, url, reason);
            });
        }
    }

    /** Why {@code url} may not receive a webhook now, or empty if it may. Resolves the host each time. */
    Optional<String> refusal(String url) {
        return refusal(url, true);
    }

    private Optional<String> refusal(String url, boolean refuseUnresolvable) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return Optional.of("it is not a valid URL (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return Optional.of("only http and https URLs may receive webhooks");
        }
        if (uri.getHost() == null) {
            return Optional.of("it names no host");
        }
        if (trusted(uri)) {
            return Optional.empty();
        }
        InetAddress[] addresses;
        try {
            addresses = resolver.resolve(uri.getHost());
        } catch (UnknownHostException e) {
            return refuseUnresolvable ? Optional.of("host " + uri.getHost() + " does not resolve") : Optional.empty();
        }
        for (InetAddress address : addresses) {
            if (!isPublic(address)) {
                String kind = kind(address);
                return Optional.of("host " + uri.getHost() + " resolves to " + address.getHostAddress() + ", "
                        + ("aeiou".indexOf(kind.charAt(0)) >= 0 ? "an " : "a ") + kind + " address; webhooks only go to public addresses");
            }
        }
        return Optional.empty();
    }

    /** Whether {@code uri} may be called without the address filter: an allowed host, or any with private targets allowed. */
    boolean trusted(URI uri) {
        return allowPrivateTargets || (uri.getHost() != null && allowedHosts.contains(uri.getHost().toLowerCase(Locale.ROOT)));
    }

    static boolean isPublic(InetAddress address) {
        return PUBLIC.matches(address);
    }

    /** What kind of non-public address this is, for a refusal a person can act on. */
    static String kind(InetAddress address) {
        if (address.isLoopbackAddress()) {
            return "loopback";
        }
        if (address.isAnyLocalAddress()) {
            return "unspecified (any-local)";
        }
        if (address.isLinkLocalAddress()) {
            return "link-local (cloud metadata)";
        }
        if (address.isMulticastAddress()) {
            return "multicast";
        }
        if (address.isSiteLocalAddress() || (address instanceof Inet6Address && (address.getAddress()[0] & 0xfe) == 0xfc)) {
            return "private";
        }
        return "special-purpose (RFC 6890)";
    }
}
