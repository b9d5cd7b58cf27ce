package io.jobpool.security;

import io.jobpool.config.JobpoolProperties;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

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

    /**
     * The configured keys; a faulty list (already refused as the settings are bound, see
     * {@link JobpoolProperties.ApiKey#problems}) fails with every problem named.
     */
    public static ApiKeys of(List<JobpoolProperties.ApiKey> configured) {
        List<String> problems = JobpoolProperties.ApiKey.problems(configured);
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("; ", problems));
        }
        List<Entry> entries = new ArrayList<>();
        for (JobpoolProperties.ApiKey key : configured) {
            entries.add(new Entry(HexFormat.of().parseHex(key.sha256()), new Caller(key.name(), key.roleSet())));
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
