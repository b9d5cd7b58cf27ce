package io.jobpool.security;

import io.jobpool.config.JobpoolProperties;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The configured API keys, known only by their SHA-256 hashes. A presented key is hashed once and
 * compared with every configured hash in constant time, so neither the comparison nor which key
 * matched shows in the time an answer takes.
 */
public final class ApiKeys {

    private static final int MAX_PRESENTED_LENGTH = 1024;

    private final List<Entry> entries;

    private record Entry(byte[] hash, Caller caller) {}

    private ApiKeys(List<Entry> entries) {
        this.entries = entries;
    }

    /** Checks the configuration and fails startup with a message naming the faulty entry. */
    public static ApiKeys of(List<JobpoolProperties.ApiKey> configured) {
        List<Entry> entries = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Set<String> hashes = new HashSet<>();
        for (int i = 0; i < configured.size(); i++) {
            JobpoolProperties.ApiKey key = configured.get(i);
            String where = "jobpool.security.api-keys[" + i + "]";
            if (key.name() == null || !key.name().matches("[A-Za-z0-9._@-]{1,100}")) {
                throw new IllegalStateException(where + ".name must be 1 to 100 letters, digits or . _ @ -");
            }
            if (key.sha256() == null || !key.sha256().matches("[0-9a-fA-F]{64}")) {
                throw new IllegalStateException(where + ".sha256 (key '" + key.name()
                        + "') must be the 64 hex digits of the key's SHA-256: printf %s \"$KEY\" | sha256sum");
            }
            if (key.roles().isEmpty()) {
                throw new IllegalStateException(where + ".roles (key '" + key.name() + "') must name at least one of submit, read, admin");
            }
            if (!names.add(key.name())) {
                throw new IllegalStateException(where + ".name '" + key.name() + "' is used by two keys");
            }
            if (!hashes.add(key.sha256().toLowerCase(java.util.Locale.ROOT))) {
                throw new IllegalStateException(where + ".sha256 (key '" + key.name() + "') is the hash of another key too");
            }
            entries.add(new Entry(HexFormat.of().parseHex(key.sha256()),
                    new Caller(key.name(), EnumSet.copyOf(key.roles()))));
        }
        return new ApiKeys(List.copyOf(entries));
    }

    /** Whether any key is configured; without one the service runs open. */
    public boolean enforced() {
        return !entries.isEmpty();
    }

    public int count() {
        return entries.size();
    }

    /** The caller the presented key belongs to, if it is one of the configured keys. */
    public Optional<Caller> authenticate(String presented) {
        if (presented == null || presented.isEmpty() || presented.length() > MAX_PRESENTED_LENGTH) {
            return Optional.empty();
        }
        byte[] hash = sha256(presented);
        Caller match = null;
        // Every entry is compared, also after a match, so the time does not tell which key it was.
        for (Entry entry : entries) {
            if (MessageDigest.isEqual(entry.hash(), hash)) {
                match = entry.caller();
            }
        }
        return Optional.ofNullable(match);
    }

    private static byte[] sha256(String key) {
        try {
            // getInstance costs a provider lookup of well under a microsecond; a shared instance
            // would need locking, a thread-local would pin state to virtual threads.
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
        }
    }
}
