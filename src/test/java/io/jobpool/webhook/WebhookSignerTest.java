package io.jobpool.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** Tests for {@link WebhookSigner}. */
class WebhookSignerTest {

    // The test vector the Standard Webhooks reference libraries assert (WebhookTest.verifyWebhookSignWorks
    // in standard-webhooks/standard-webhooks, libraries/java).
    private static final String SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String SPEC_MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private static final long SPEC_TIMESTAMP = 1614265330;
    private static final String SPEC_PAYLOAD = "{\"test\": 2432232314}";
    private static final String SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    @Test
    void signsTheSpecificationsTestVector() {
        WebhookSigner signer = signer(SPEC_SECRET);

        assertThat(signer.sign(SPEC_MSG_ID, SPEC_TIMESTAMP, SPEC_PAYLOAD)).isEqualTo(SPEC_SIGNATURE);
    }

    @Test
    void acceptsTheSecretWithoutItsPrefixLikeTheReferenceLibraries() {
        WebhookSigner signer = signer(SPEC_SECRET.substring("whsec_".length()));

        assertThat(signer.sign(SPEC_MSG_ID, SPEC_TIMESTAMP, SPEC_PAYLOAD)).isEqualTo(SPEC_SIGNATURE);
    }

    @Test
    void signsWithBothSecretsDuringRotationSpaceSeparated() {
        String other = "whsec_" + Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8));
        WebhookSigner signer = new WebhookSigner(List.of(new WebhookSigner.Setting("primary", other),
                new WebhookSigner.Setting("secondary", SPEC_SECRET)));

        String header = signer.sign(SPEC_MSG_ID, SPEC_TIMESTAMP, SPEC_PAYLOAD);

        assertThat(header.split(" ")).containsExactly(
                "v1," + independentHmac(other, SPEC_MSG_ID + "." + SPEC_TIMESTAMP + "." + SPEC_PAYLOAD), SPEC_SIGNATURE);
    }

    @Test
    void signsNothingWithoutASecret() {
        WebhookSigner signer = new WebhookSigner(List.of(new WebhookSigner.Setting("jobpool.webhooks.secret", null),
                new WebhookSigner.Setting("jobpool.webhooks.secondary-secret", " ")));

        assertThat(signer.signs()).isFalse();
        assertThat(signer.sign(SPEC_MSG_ID, SPEC_TIMESTAMP, SPEC_PAYLOAD)).isNull();
    }

    @Test
    void refusesASecretThatIsNotBase64NamingTheSettingButNotTheSecret() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new WebhookSigner(List.of(new WebhookSigner.Setting("jobpool.webhooks.secret", "whsec_not*base64!"))))
                .withMessageStartingWith("jobpool.webhooks.secret must be whsec_ followed by base64")
                .withMessageNotContaining("not*base64!");
    }

    @Test
    void refusesASecretShorterThanTheSpecificationsMinimum() {
        String short16 = "whsec_" + Base64.getEncoder().encodeToString(new byte[16]);

        assertThatIllegalArgumentException()
                .isThrownBy(() -> signer(short16))
                .withMessageContaining("24 to 64 random bytes; it encodes 16");
    }

    /** At start-up the refusal is printed as "APPLICATION FAILED TO START" naming the setting, not as a trace of bean creation. */
    @Test
    void aRefusedSecretStopsTheStartWithTheSettingNamed() {
        String short21 = "whsec_" + Base64.getEncoder().encodeToString(new byte[21]);
        IllegalArgumentException refused = org.assertj.core.api.Assertions.catchThrowableOfType(IllegalArgumentException.class,
                () -> signer(short21));
        org.springframework.boot.diagnostics.FailureAnalysis analysis = new io.jobpool.config.StartRefusedException.SettingAnalyzer(new org.springframework.core.env.StandardEnvironment())
                .analyze(new org.springframework.beans.factory.BeanCreationException("webhookSigner", "failed", refused));
        assertThat(analysis.getDescription()).isEqualTo("jobpool.webhooks.secret must encode 24 to 64 random bytes; it encodes 21");
        assertThat(analysis.getAction()).contains("Change the setting");
        // An IllegalArgumentException of a library is no setting of ours: Boot's report as usual.
        assertThat(new io.jobpool.config.StartRefusedException.SettingAnalyzer(new org.springframework.core.env.StandardEnvironment()).analyze(new org.springframework.beans.factory
                .BeanCreationException("x", "failed", catchJdkRefusal()))).isNull();
    }

    private static IllegalArgumentException catchJdkRefusal() {
        return org.assertj.core.api.Assertions.catchThrowableOfType(IllegalArgumentException.class,
                () -> Integer.parseInt("soon"));
    }

    private static WebhookSigner signer(String secret) {
        return new WebhookSigner(List.of(new WebhookSigner.Setting("jobpool.webhooks.secret", secret)));
    }

    private static String independentHmac(String secret, String content) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
            return Base64.getEncoder().encodeToString(mac.doFinal(content.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
