package io.jobpool.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import io.jobpool.job.JobException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Tests for {@link TargetGuard}. */
class TargetGuardTest {

    /** Fake DNS: the only names these tests resolve. Literals never reach it. */
    private static final Map<String, byte[]> DNS = Map.of(
            "internal.example", new byte[] {10, 1, 2, 3},
            "hooks.example.com", new byte[] {93, (byte) 184, (byte) 215, 14});

    private static final TargetGuard.Resolver RESOLVER = host -> {
        if (host.startsWith("[") || Character.isDigit(host.charAt(0))) {
            return InetAddress.getAllByName(host);
        }
        byte[] address = DNS.get(host);
        if (address == null) {
            throw new UnknownHostException(host);
        }
        return new InetAddress[] {InetAddress.getByAddress(host, address)};
    };

    private final TargetGuard defaults = new TargetGuard(false, List.of(), RESOLVER);

    @ParameterizedTest
    @ValueSource(strings = {
            "http://127.0.0.1/hook", "http://127.1.2.3:8080/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/hook",
            "http://[fe80::1]/", "http://[fd12:3456::1]/", "http://0.0.0.0/", "http://[::]/", "http://10.1.2.3/",
            "http://172.16.0.1/", "http://192.168.1.1/", "http://100.64.0.1/", "http://224.0.0.1/", "http://[::ffff:127.0.0.1]/",
            "http://[::127.0.0.1]/", "http://[::a9fe:a9fe]/", "http://[::10.0.0.1]/", "http://[::ffff:0:7f00:1]/",
            "http://[::ffff:0:a9fe:a9fe]/", "http://[::ffff:0:8.8.8.8]/", "http://internal.example/hook"})
    void refusesTargetsThatAreNotPublicByDefault(String url) {
        assertThat(defaults.refusal(url)).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"file:/etc/passwd", "ftp://hooks.example.com/x", "gopher://hooks.example.com/", "jar:file:/x.jar!/"})
    void refusesSchemesOtherThanHttpAndHttps(String url) {
        assertThat(defaults.refusal(url)).hasValue("only http and https URLs may receive webhooks");
    }

    @Test
    void allowsAPublicTargetOverHttpAndHttps() {
        assertThat(defaults.refusal("https://hooks.example.com/jobpool")).isEmpty();
        assertThat(defaults.refusal("http://93.184.215.14:8080/jobpool")).isEmpty();
    }

    @Test
    void saysWhichAddressAHostResolvesToAndWhatKindItIs() {
        assertThat(defaults.refusal("http://internal.example/hook"))
                .hasValue("host internal.example resolves to 10.1.2.3, a private address; webhooks only go to public addresses"
                        + " (jobpool.webhooks.allow-private-targets=true, or the host in jobpool.webhooks.allowed-hosts, lets them through)");
        assertThat(defaults.refusal("http://169.254.169.254/")).get().asString().contains("link-local (cloud metadata)");
        assertThat(defaults.refusal("http://[::1]/")).get().asString().contains("a loopback address");
        assertThat(defaults.refusal("http://0.0.0.0/")).get().asString().contains("an unspecified (any-local) address");
        assertThat(defaults.refusal("http://[::ffff:0:a9fe:a9fe]/")).get().asString()
                .contains("an IPv4-compatible or IPv4-translated IPv6 address");
    }

    @Test
    void aHostThatDoesNotResolveIsAcceptedAtSubmitButNotSentTo() {
        defaults.check("callbackUrl", "https://nowhere.example/");
        assertThat(defaults.refusal("https://nowhere.example/")).hasValue("host nowhere.example does not resolve");
    }

    /** Spellings that C resolvers, curl and browsers read as loopback, private or metadata addresses, and Java does not resolve. */
    @ParameterizedTest
    @ValueSource(strings = {
            "http://2130706433/", "http://0x7f000001/", "http://0177.0.0.1/", "http://127.1/", "http://0x7f.1/",
            "http://0xA9.254.169.254/", "http://012.1.2.3/", "http://localhost./hook", "http://internal.example./",
            "http://127.0.0.1./", "http://[::1%25lo]/", "http://[fe80::1%25eth0]/",
            // Zero-padded past twelve digits: inet_aton still reads 169.254.169.254 and 127.0.0.1.
            "http://000000000000000000251.254.169.254/", "http://0000000000000177.0.0.1/"})
    void oddSpellingsOfNonPublicAddressesAreRefusedAtSubmit(String url) {
        TargetGuard withLocalhost = new TargetGuard(false, List.of(), host -> host.equals("localhost")
                ? new InetAddress[] {InetAddress.getLoopbackAddress()} : RESOLVER.resolve(host));
        assertThatExceptionOfType(WebhookTargetRefusedException.class).isThrownBy(() -> withLocalhost.check("callbackUrl", url));
        // Java's URI finds no host at all in some (127.1, 0x7f.1): refused as naming none.
        assertThat(withLocalhost.refusal(url)).get().asString().containsAnyOf("webhooks only go to public addresses", "it names no host");
    }

    @Test
    void aPublicAddressInAnOddSpellingIsRefusedWithTheSpellingToUse() {
        assertThat(defaults.refusal("http://0x5db8d70e/")).hasValue("host 0x5db8d70e spells the address 93.184.215.14 in a form"
                + " not every client reads alike; write it as 93.184.215.14");
        assertThat(defaults.refusal("http://93.184.215.14/")).isEmpty();
        assertThat(defaults.refusal("http://hooks.example.com./")).isEmpty();
    }

    @Test
    void inetAtonReadsOneToFourPartsAndNamesAreNotAddresses() throws Exception {
        assertThat(TargetGuard.literal("2130706433")).hasValue(InetAddress.getByName("127.0.0.1"));
        assertThat(TargetGuard.literal("10.0x10203")).hasValue(InetAddress.getByName("10.1.2.3"));
        assertThat(TargetGuard.literal("192.168.0x1.01")).hasValue(InetAddress.getByName("192.168.1.1"));
        assertThat(TargetGuard.literal("[::1%25lo]")).hasValue(InetAddress.getByName("::1"));
        // Out of range, too many parts, invalid digits, or a name: not a literal.
        for (String name : new String[] {"256.1.1.1", "1.2.3.4.5", "4294967296", "08.1.1.1", "0x", "hooks.example.com", "1e3", "[zz]"}) {
            assertThat(TargetGuard.literal(name)).as(name).isEmpty();
        }
    }

    @Test
    void theAddressPredicateRefusesAPrivateAddressWhateverItsName() throws Exception {
        assertThat(TargetGuard.isPublic(InetAddress.getByAddress("internal.example", new byte[] {10, 1, 2, 3}))).isFalse();
        assertThat(TargetGuard.isPublic(InetAddress.getByAddress("hooks.example.com", new byte[] {93, (byte) 184, (byte) 215, 14}))).isTrue();
    }

    @Test
    void allowedHostsMayResolveToPrivateAddresses() {
        TargetGuard guard = new TargetGuard(false, List.of("Internal.Example"), RESOLVER);

        assertThat(guard.refusal("http://internal.example/hook")).isEmpty();
        assertThat(guard.refusal("http://10.1.2.3/hook")).isPresent();
        assertThat(guard.refusal("file://internal.example/etc/passwd")).isPresent();
    }

    @Test
    void allowPrivateTargetsAllowsEveryHttpTargetButNoOtherScheme() {
        TargetGuard guard = new TargetGuard(true, List.of(), RESOLVER);

        assertThat(guard.refusal("http://127.0.0.1/hook")).isEmpty();
        assertThat(guard.refusal("http://169.254.169.254/")).isEmpty();
        assertThat(guard.refusal("ftp://127.0.0.1/")).isPresent();
    }

    @Test
    void aRefusedCallbackAtSubmitIsA422ProblemNamingTheField() {
        assertThatExceptionOfType(JobException.class)
                .isThrownBy(() -> defaults.check("errorCallbackUrl", "http://169.254.169.254/latest"))
                .satisfies(e -> {
                    assertThat(e.type()).isEqualTo("webhook-target-refused");
                    assertThat(e.getMessage()).startsWith("errorCallbackUrl http://169.254.169.254/latest is refused: ");
                    assertThat(e.extensions().get("errors")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
                            .singleElement().extracting("field").isEqualTo("errorCallbackUrl");
                });
    }

    @Test
    void noCallbackIsNothingToCheck() {
        defaults.check("callbackUrl", null);
    }
}
