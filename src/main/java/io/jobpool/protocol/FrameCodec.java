package io.jobpool.protocol;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Length-prefixed frames: a 4-byte big-endian length, then that many bytes of UTF-8 JSON.
 *
 * <p>A length outside {@code 1..MAX_FRAME_BYTES} means the stream is no longer ours (something
 * wrote raw bytes to the pipe): that is reported as {@link CorruptFrameException} and the peer is
 * treated as lost rather than trusted.
 */
public final class FrameCodec {

    /** Upper bound on a single frame; results are bounded far below this by configuration. */
    public static final int MAX_FRAME_BYTES = 256 * 1024 * 1024;

    private FrameCodec() {}

    /** Writes one message and flushes. Callers serialise access to {@code out}. */
    public static void write(DataOutputStream out, Message message) throws IOException {
        writeEncoded(out, encode(message));
    }

    /** A message's payload, for a caller that decides by its size how to send it. */
    public static byte[] encode(Message message) {
        return MessageJson.write(message);
    }

    /** Writes one payload made by {@link #encode} as a frame and flushes. Callers serialise access to {@code out}. */
    public static void writeEncoded(DataOutputStream out, byte[] payload) throws IOException {
        out.writeInt(payload.length);
        out.write(payload);
        out.flush();
    }

    /** Reads one message; {@link EOFException} when the peer closed the stream cleanly. */
    public static Message read(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length <= 0 || length > MAX_FRAME_BYTES) {
            throw new CorruptFrameException("frame length " + length + " is out of range");
        }
        byte[] payload = in.readNBytes(length);
        if (payload.length < length) {
            throw new EOFException("stream ended inside a frame");
        }
        try {
            return MessageJson.read(payload);
        } catch (RuntimeException e) {
            throw new CorruptFrameException("frame is not a protocol message: " + e.getMessage());
        }
    }

    public static DataOutputStream output(OutputStream out) {
        return new DataOutputStream(new java.io.BufferedOutputStream(out, 64 * 1024));
    }

    public static DataInputStream input(InputStream in) {
        return new DataInputStream(new java.io.BufferedInputStream(in, 64 * 1024));
    }

    /** The byte stream does not hold a well-formed frame. */
    public static final class CorruptFrameException extends IOException {
        public CorruptFrameException(String message) {
            super(message);
        }
    }
}
