package io.jobpool.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.StringJoiner;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks v1 signatures: {@code v1,} + base64 of HMAC-SHA256 over
 * {@code "{webhook-id}.{webhook-timestamp}.{body}"}. With two secrets (rotation) the header carries
 * one signature per secret, space-separated; a receiver accepts the request if any one verifies.
 */
final class WebhookSigner {

    private static final String PREFIX = "whsec_";
    private static final String ALGORITHM = "HmacSHA256";

    private final List<SecretKeySpec> keys;

    /**
     * @param secrets {@code whsec_<base64>} secrets (the prefix is optional, as in the Standard
     *     Webhooks libraries); {@code null} or blank entries are skipped
     * @throws IllegalArgumentException naming the setting when a secret is not valid
     */
    WebhookSigner(List<Setting> secrets) {
        List<SecretKeySpec> parsed = new ArrayList<>();
        for (Setting secret : secrets) {
            if (secret.value() != null && !secret.value().isBlank()) {
                parsed.add(key(secret));
            }
        }
        this.keys = List.copyOf(parsed);
    }

    /** A secret and the configuration key it came from, for error messages that never show the secret. */
    record Setting(String name, String value) {}

    boolean signs() {
        return !keys.isEmpty();
    }

    /** The {@code webhook-signature} header value, or {@code null} when no secret is configured. */
    String sign(String webhookId, long timestamp, String body) {
        if (keys.isEmpty()) {
            return null;
        }
        byte[] content = (webhookId + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8);
        StringJoiner header = new StringJoiner(" ");
        for (SecretKeySpec key : keys) {
            header.add("v1," + Base64.getEncoder().encodeToString(hmac(key, content)));
        }
        return header.toString();
    }

    private static byte[] hmac(SecretKeySpec key, byte[] content) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac.doFinal(content);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    private static SecretKeySpec key(Setting secret) {
        String encoded = secret.value().strip();
        if (encoded.startsWith(PREFIX)) {
            encoded = encoded.substring(PREFIX.length());
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(secret.name() + " must be whsec_ followed by base64: " + e.getMessage());
        }
        // The Standard Webhooks specification asks for 192 to 512 random bits.
        if (bytes.length < 24 || bytes.length > 64) {
            throw new IllegalArgumentException(secret.name() + " must encode 24 to 64 random bytes; it encodes " + bytes.length);
        }
        return new SecretKeySpec(bytes, ALGORITHM);
    }
}
