package io.jobpool.api;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.function.BooleanSupplier;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.ActionCode;

/**
 * Lets a waiting request ({@code ?wait=}, {@code ?timeout=}, a stream of results) find out whether
 * its client is still there. A blocked request does not hear of a closed connection until it
 * writes, so a client that gave up held its long-poll, one of its key's
 * {@code jobpool.security.max-long-polls-per-key}, for the whole wait (a stream: until the batch
 * ended), and a few impatient clients locked their key out with 429.
 *
 * <p>The check is a non-blocking read of the connection, made by the request's own thread between
 * two waits: end of stream means the client closed it. Bytes that arrive instead (a pipelined next
 * request, or a client that sends something after its request) end the wait too; they stay
 * buffered for the next request, and an answer before the wait is up is one a long-poll may give.
 *
 * <p>A body the endpoint does not read (a client that sends {@code {}} with every POST, or a body
 * with a GET) is part of the request, not something sent after it: what has arrived of it is read
 * and dropped at each check, without blocking, and while some of it is still to come the client is
 * taken to be there. Left on the connection it read as more bytes, and every such long-poll ended
 * after its first second; read to its end in one go, a body that was slow to come held the wait
 * (and a shutdown) until it came or the connection timed out.
 */
final class ClientConnectionValve extends ValveBase {

    private static final String ATTRIBUTE = ClientConnectionValve.class.getName();

    private static final BooleanSupplier NEVER_GONE = () -> false;

    ClientConnectionValve() {
        super(true);
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        org.apache.coyote.Request coyote = request.getCoyoteRequest();
        request.setAttribute(ATTRIBUTE, (BooleanSupplier) () -> {
            try {
                if (!unreadBodyDropped(request)) {
                    return false; // still sending its body: it is there
                }
            } catch (IOException connectionFailed) {
                return true;
            }
            coyote.action(ActionCode.AVAILABLE, Boolean.TRUE);
            return coyote.getAvailable() > 0;
        });
        getNext().invoke(request, response);
    }

    /**
     * Reads and drops what has arrived of the request's body, never waiting for more; true once all
     * of it is read. A body the endpoint read (through a reader) is consumed already.
     *
     * @throws IOException if the connection failed
     */
    private static boolean unreadBodyDropped(Request request) throws IOException {
        org.apache.coyote.Request coyote = request.getCoyoteRequest();
        if (request.getContentLengthLong() == 0 || coyote.isFinished()) {
            return true;
        }
        if (request.getContentLengthLong() < 0) {
            // Chunked: what has arrived is framing as well as body, and a read of that much may wait
            // for the rest of a chunk (a chunk's size line without its data held the wait until the
            // connection timed out). Left unread, the client counts as there until the wait ends.
            return false;
        }
        java.io.InputStream body;
        try {
            body = request.getInputStream();
        } catch (IllegalStateException readThroughAReader) {
            return true;
        }
        byte[] discard = new byte[8192];
        while (!coyote.isFinished()) {
            int arrived = body.available();
            if (arrived <= 0) {
                coyote.action(ActionCode.AVAILABLE, Boolean.TRUE);
                arrived = coyote.getAvailable();
                if (arrived <= 0) {
                    return false;
                }
            }
            // No more than has arrived: a read of that much does not block.
            if (body.read(discard, 0, Math.min(arrived, discard.length)) == -1) {
                return true;
            }
        }
        return true;
    }

    /**
     * Whether the client of {@code request} closed its connection (or sent more); only from the
     * thread serving the request. Never true where the valve does not run (a mock request in a test).
     */
    static BooleanSupplier clientGone(HttpServletRequest request) {
        return request.getAttribute(ATTRIBUTE) instanceof BooleanSupplier gone ? gone : NEVER_GONE;
    }
}
