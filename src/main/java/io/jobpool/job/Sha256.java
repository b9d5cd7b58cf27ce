package io.jobpool.job;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 without a provider lookup per call: {@code MessageDigest.getInstance} walks the security
 * providers each time, so one prototype is made once and cloned (a clone copies a few words of state).
 * Requests run on virtual threads, so a thread-local digest would be made per request anyway.
 */
final class Sha256 {

    private static final MessageDigest PROTOTYPE = create();

    private Sha256() {}

    static byte[] digest(byte[] input) {
        return newDigest().digest(input);
    }

    /** A fresh digest, for input that comes in parts. */
    static MessageDigest newDigest() {
        try {
            return (MessageDigest) PROTOTYPE.clone();
        } catch (CloneNotSupportedException e) {
            return create();
        }
    }

    private static MessageDigest create() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
