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
 * with a GET) is part of the request, not something sent after it: it is read and dropped before
 * the first check. Left on the connection it read as more bytes, and every such long-poll ended
 * after its first second.
 */
final class ClientConnectionValve extends ValveBase {

    private static final String ATTRIBUTE = ClientConnectionValve.class.getName();

    private static final BooleanSupplier NEVER_GONE = () -> false;

    /** More unread body than this is not a client waiting for an answer: the wait ends. */
    private static final int MAX_UNREAD_BODY = 1 << 20;

    ClientConnectionValve() {
        super(true);
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        org.apache.coyote.Request coyote = request.getCoyoteRequest();
        request.setAttribute(ATTRIBUTE, (BooleanSupplier) () -> {
            if (!unreadBodyDropped(request)) {
                return true;
            }
            coyote.action(ActionCode.AVAILABLE, Boolean.TRUE);
            return coyote.getAvailable() > 0;
        });
        getNext().invoke(request, response);
    }

    /**
     * Reads what is left of the request's body and drops it; false if the connection failed or the
     * body is too large to be one. A body the endpoint read (through a reader) is already consumed.
     */
    private static boolean unreadBodyDropped(Request request) {
        if (request.getContentLengthLong() == 0 || request.getCoyoteRequest().isFinished()) {
            return true;
        }
        try {
            java.io.InputStream body = request.getInputStream();
            byte[] discard = new byte[8192];
            long read = 0;
            for (int n; (n = body.read(discard)) != -1; ) {
                read += n;
                if (read > MAX_UNREAD_BODY) {
                    return false;
                }
            }
            return true;
        } catch (IllegalStateException readThroughAReader) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Whether the client of {@code request} closed its connection (or sent more); only from the
     * thread serving the request. Never true where the valve does not run (a mock request in a test).
     */
    static BooleanSupplier clientGone(HttpServletRequest request) {
        return request.getAttribute(ATTRIBUTE) instanceof BooleanSupplier gone ? gone : NEVER_GONE;
    }
}
