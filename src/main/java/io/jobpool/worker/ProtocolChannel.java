package io.jobpool.worker;

import io.jobpool.protocol.FrameCodec;
import io.jobpool.protocol.Message;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The worker's side of the pipe to the server; writes are serialised so frames never interleave. */
final class ProtocolChannel {

    private final DataOutputStream out;

    ProtocolChannel(DataOutputStream out) {
        this.out = out;
    }

    synchronized void send(Message.ToServer message) {
        try {
            FrameCodec.write(out, message);
        } catch (IOException e) {
            // The server is gone; there is nobody to report to, so the worker ends itself.
            throw new UncheckedIOException("server pipe closed", e);
        }
    }
}
