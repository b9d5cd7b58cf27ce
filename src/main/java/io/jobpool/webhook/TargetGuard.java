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
        Optional<String> oddLiteral = oddLiteral(uri.getHost());
        if (oddLiteral.isPresent()) {
            return oddLiteral;
        }
        InetAddress[] addresses;
        try {
            addresses = resolver.resolve(withoutTrailingDot(uri.getHost()));
        } catch (UnknownHostException e) {
            return refuseUnresolvable ? Optional.of("host " + uri.getHost() + " does not resolve") : Optional.empty();
        }
        for (InetAddress address : addresses) {
            if (!isPublic(address)) {
                return Optional.of(refusalOf(uri.getHost(), address));
            }
        }
        return Optional.empty();
    }

    private static String refusalOf(String host, InetAddress address) {
        String kind = kind(address);
        return "host " + host + " resolves to " + address.getHostAddress() + ", "
                + ("aeiouAEIOU".indexOf(kind.charAt(0)) >= 0 ? "an " : "a ") + kind + " address; webhooks only go to public addresses"
                + " (jobpool.webhooks.allow-private-targets=true, or the host in jobpool.webhooks.allowed-hosts, lets them through)";
    }

    /**
     * Why a host that is an address in a spelling Java does not read is refused, if it is one. C
     * resolvers, curl and browsers read {@code 2130706433}, {@code 0x7f000001}, {@code 0177.0.0.1}
     * and {@code 127.1} as 127.0.0.1, and {@code [::1%25lo]} as ::1 with a zone; Java resolves
     * none of them, so at submit they passed as "does not resolve yet". A proxy or another client
     * in between may read them as the address they spell, so they are refused at submit: a
     * non-public one as that address, a public one with the standard spelling to use instead.
     */
    private Optional<String> oddLiteral(String host) {
        Optional<InetAddress> literal = literal(host);
        if (literal.isEmpty()) {
            return Optional.empty();
        }
        InetAddress address = literal.get();
        if (!isPublic(address)) {
            return Optional.of(refusalOf(host, address));
        }
        boolean standard = host.equals(address.getHostAddress()) || (host.startsWith("[") && host.indexOf('%') < 0);
        return standard ? Optional.empty()
                : Optional.of("host " + host + " spells the address " + address.getHostAddress() + " in a form not every client"
                        + " reads alike; write it as " + address.getHostAddress());
    }

    /**
     * The address {@code host} spells as a literal: a bracketed IPv6 address (its zone dropped), or
     * IPv4 as {@code inet_aton} reads it (one to four parts, each decimal, {@code 0x} hex or
     * {@code 0} octal, the last filling the remaining bytes). Empty for a name.
     */
    static Optional<InetAddress> literal(String host) {
        if (host.startsWith("[") && host.endsWith("]")) {
            String inner = host.substring(1, host.length() - 1);
            int zone = inner.indexOf('%');
            try {
                return Optional.of(InetAddress.ofLiteral(zone >= 0 ? inner.substring(0, zone) : inner));
            } catch (IllegalArgumentException notAnAddress) {
                return Optional.empty();
            }
        }
        String[] parts = withoutTrailingDot(host).split("\\.", -1);
        if (parts.length > 4) {
            return Optional.empty();
        }
        long[] values = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            values[i] = part(parts[i]);
            if (values[i] < 0) {
                return Optional.empty();
            }
        }
        long address = 0;
        for (int i = 0; i < parts.length - 1; i++) {
            if (values[i] > 0xff) {
                return Optional.empty();
            }
            address |= values[i] << (24 - 8 * i);
        }
        long last = values[parts.length - 1];
        if (last >= 1L << (8 * (5 - parts.length))) {
            return Optional.empty();
        }
        address |= last;
        byte[] bytes = {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
        try {
            return Optional.of(InetAddress.getByAddress(bytes));
        } catch (UnknownHostException impossible) {
            return Optional.empty();
        }
    }

    /** One part of an {@code inet_aton} address, or -1 if it is not a number (then the host is a name). */
    private static long part(String text) {
        int radix = 10;
        String digits = text;
        if (text.length() > 2 && (text.startsWith("0x") || text.startsWith("0X"))) {
            radix = 16;
            digits = text.substring(2);
        } else if (text.length() > 1 && text.startsWith("0")) {
            radix = 8;
            digits = text.substring(1);
        }
        // Leading zeros change no value (inet_aton reads 000000000000000000251 as 251): counted,
        // they made a padded address look like a name.
        int firstSignificant = 0;
        while (firstSignificant < digits.length() - 1 && digits.charAt(firstSignificant) == '0') {
            firstSignificant++;
        }
        digits = digits.substring(firstSignificant);
        if (digits.isEmpty() || digits.length() > 12) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < digits.length(); i++) {
            int digit = Character.digit(digits.charAt(i), radix);
            if (digit < 0) {
                return -1;
            }
            value = value * radix + digit;
        }
        return value;
    }

    /** {@code localhost.} is {@code localhost}: the fully qualified spelling of a name Java does not resolve. */
    private static String withoutTrailingDot(String host) {
        return host.endsWith(".") && host.length() > 1 ? host.substring(0, host.length() - 1) : host;
    }

    /** Whether {@code uri} may be called without the address filter: an allowed host, or any with private targets allowed. */
    boolean trusted(URI uri) {
        return allowPrivateTargets
                || (uri.getHost() != null && allowedHosts.contains(withoutTrailingDot(uri.getHost()).toLowerCase(Locale.ROOT)));
    }

    static boolean isPublic(InetAddress address) {
        return PUBLIC.matches(address) && !embedsIpv4(address);
    }

    /**
     * An IPv6 address whose first 64 bits are zero carries an IPv4 address in its last 32: the
     * deprecated IPv4-compatible form ({@code ::127.0.0.1}, RFC 4291 2.5.5.1) and the
     * IPv4-translated one ({@code ::ffff:0:169.254.169.254}, RFC 2765). Boot's filter takes them
     * for public IPv6, yet a network with a translator or tunnel delivers them to the IPv4
     * address, private or metadata. They lie in 0000::/8, which RFC 4291 reserves (public unicast
     * is 2000::/3), so all are refused.
     */
    private static boolean embedsIpv4(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return false;
        }
        byte[] bytes = address.getAddress();
        for (int i = 0; i < 8; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
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
        if (embedsIpv4(address)) {
            return "IPv4-compatible or IPv4-translated IPv6";
        }
        return "special-purpose (RFC 6890)";
    }
}
