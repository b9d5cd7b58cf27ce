package io.jobpool.job;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;

/**
 * Logs the failures of a background duty that a store outage causes once per outage, not once per
 * attempt: the first at WARN, saying what happens next, the repeats at DEBUG until the duty
 * succeeds again. A duty run at every reconnect or heartbeat otherwise filled the log with the same
 * line all through an outage. Failures of another kind (a bug, a statement the store refuses) are
 * logged every time, with their trace.
 */
public final class OncePerOutage {

    private final Logger log;
    private final String message;
    private final AtomicBoolean reported = new AtomicBoolean();

    /** @param message what failed and what happens next, with one {@code {}} for the error */
    public OncePerOutage(Logger log, String message) {
        this.log = log;
        this.message = message;
    }

    public void failed(RuntimeException e) {
        if (!StoreErrors.outOfReach(e)) {
            log.warn(message, e.toString(), e);
        } else if (reported.compareAndSet(false, true)) {
            log.warn(message, e.toString());
        } else {
            log.debug(message, e.toString());
        }
    }

    /** The duty worked: the next outage is reported again. */
    public void succeeded() {
        reported.set(false);
    }
}
