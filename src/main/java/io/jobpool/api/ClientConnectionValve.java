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
            coyote.action(ActionCode.AVAILABLE, Boolean.TRUE);
            return coyote.getAvailable() > 0;
        });
        getNext().invoke(request, response);
    }

    /**
     * Whether the client of {@code request} closed its connection (or sent more); only from the
     * thread serving the request. Never true where the valve does not run (a mock request in a test).
     */
    static BooleanSupplier clientGone(HttpServletRequest request) {
        return request.getAttribute(ATTRIBUTE) instanceof BooleanSupplier gone ? gone : NEVER_GONE;
    }
}
