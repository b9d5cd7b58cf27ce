package io.jobpool.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import io.jobpool.config.JobpoolProperties.ApiKey;
import io.jobpool.config.JobpoolProperties.Role;
import java.util.Set;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Tests for {@link ApiKeys}. */
class ApiKeysTest {

    private static final ApiKey CI = new ApiKey("ci", AuthMatrixTest.sha256("ci-key"), List.of("submit", "read"));
    private static final ApiKey OPS = new ApiKey("ops", AuthMatrixTest.sha256("ops-key").toUpperCase(Locale.ROOT),
            List.of("admin"));

    @Test
    void aConfiguredKeyIsItsCallerWithItsRoles() {
        ApiKeys keys = ApiKeys.of(List.of(CI, OPS));
        Caller ci = keys.authenticate("ci-key").orElseThrow();
        assertThat(ci.name()).isEqualTo("ci");
        assertThat(ci.owner()).isEqualTo("ci");
        assertThat(ci.visibleOwner()).as("a key without admin sees its own jobs").isEqualTo("ci");
        Caller ops = keys.authenticate("ops-key").orElseThrow();
        assertThat(ops.visibleOwner()).as("admin sees every owner's jobs").isNull();
        assertThat(ops.owner()).isEqualTo("ops");
    }

    @Test
    void anyOtherValueIsNoCaller() {
        ApiKeys keys = ApiKeys.of(List.of(CI, OPS));
        for (String presented : new String[] {null, "", "ci-key ", "CI-KEY", "ci", AuthMatrixTest.sha256("ci-key"), "x".repeat(5000)}) {
            assertThat(keys.authenticate(presented)).as(String.valueOf(presented)).isEmpty();
        }
    }

    @Test
    void withoutKeysTheServiceRunsOpen() {
        ApiKeys keys = ApiKeys.of(List.of());
        assertThat(keys.enforced()).isFalse();
        assertThat(keys.authenticate("anything")).isEmpty();
        assertThat(Caller.OPEN.visibleOwner()).isNull();
        assertThat(Caller.OPEN.owner()).isNull();
    }

    @Test
    void aFaultyEntryFailsStartupNamingIt() {
        assertThatIllegalStateException().isThrownBy(() -> ApiKeys.of(List.of(CI, new ApiKey("bad", "ci-key", List.of("read")))))
                .withMessageContaining("jobpool.security.api-keys[1].sha256").withMessageContaining("sha256sum")
                .withMessageNotContaining("ci-key");
        assertThatIllegalStateException().isThrownBy(() -> ApiKeys.of(List.of(new ApiKey("x", CI.sha256(), List.of()))))
                .withMessageContaining("roles");
        assertThatIllegalStateException().isThrownBy(() -> ApiKeys.of(List.of(CI, new ApiKey("ci", OPS.sha256(), List.of("read")))))
                .withMessageContaining("used by two keys");
        assertThatIllegalStateException().isThrownBy(() -> ApiKeys.of(List.of(CI, new ApiKey("ci2", CI.sha256(), List.of("read")))))
                .withMessageContaining("hash of another key");
        assertThatIllegalStateException().isThrownBy(() -> ApiKeys.of(List.of(new ApiKey("has space", CI.sha256(), List.of("read")))))
                .withMessageContaining("[0].name");
    }

    @Test
    void everyFaultyEntryIsNamedInOneMessage() {
        assertThatIllegalStateException().isThrownBy(() -> ApiKeys.of(List.of(new ApiKey("ta", "abc", List.of("submit")),
                        new ApiKey("tb", "def", List.of("reed")), CI)))
                .withMessageContaining("api-keys[0].sha256 (key 'ta')").withMessageContaining("api-keys[1].sha256 (key 'tb')")
                .withMessageContaining("api-keys[1].roles (key 'tb') has 'reed'");
    }

    @Test
    void rolesAreReadWhateverTheirCase() {
        ApiKeys keys = ApiKeys.of(List.of(new ApiKey("ci", CI.sha256(), List.of(" Submit", "READ"))));
        assertThat(keys.authenticate("ci-key").orElseThrow().roles()).isEqualTo(Set.of(Role.SUBMIT, Role.READ));
    }
}
