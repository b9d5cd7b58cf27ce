package io.jobpool.api;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import java.io.IOException;

/**
 * A request body that shows each byte read to a check before the reader gets it; the check stops
 * the read by throwing (a body too long, bytes that are not UTF-8).
 */
abstract class WatchedInputStream extends ServletInputStream {

    private final ServletInputStream in;
    private final byte[] one = new byte[1];

    WatchedInputStream(ServletInputStream in) {
        this.in = in;
    }

    /** {@code n} bytes of {@code buffer} from {@code offset} were read. */
    abstract void seen(byte[] buffer, int offset, int n);

    /** The body ended. */
    void ended() {}

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
            one[0] = (byte) b;
            seen(one, 0, 1);
        } else {
            ended();
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = in.read(buffer, offset, length);
        if (n > 0) {
            seen(buffer, offset, n);
        } else if (n < 0) {
            ended();
        }
        return n;
    }

    @Override
    public boolean isFinished() {
        return in.isFinished();
    }

    @Override
    public boolean isReady() {
        return in.isReady();
    }

    @Override
    public void setReadListener(ReadListener listener) {
        in.setReadListener(listener);
    }
}
