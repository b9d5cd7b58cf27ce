package io.jobpool.worker;

import io.jobpool.protocol.Message;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The running job's progress reports on their way to the server: at most one frame every
 * {@link #INTERVAL_MILLIS}, the latest report winning.
 *
 * <p>A task may call {@code progress} in its innermost loop. Unthrottled, every call would be a
 * frame the server reads and decodes: a task reporting a million times a second would keep the
 * server's reader and supervisor busy, for reports the server stores only every 500 ms anyway.
 * Here the first report goes out at once, later ones within the interval wait for a timer, and
 * the last one still held back goes out before the job's outcome, so the finished job shows it.
 */
final class ProgressReports {

    /** Well under the server's 500 ms store interval, so throttling here delays no stored report by much. */
    static final long INTERVAL_MILLIS = 100;

    private static final long INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(INTERVAL_MILLIS);

    private final ProtocolChannel channel;
    /** Starts its thread at the first held-back report; a worker whose tasks never report has none. */
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
            LeftoverThreads.ownThreads("jobpool-progress"));

    private String jobId;
    private Message.Progress heldBack;
    private long lastSentNanos;
    private boolean flushScheduled;

    ProgressReports(ProtocolChannel channel) {
        this.channel = channel;
    }

    /** Reports from now on belong to {@code jobId}. */
    synchronized void begin(String jobId) {
        this.jobId = jobId;
        heldBack = null;
        lastSentNanos = System.nanoTime() - INTERVAL_NANOS;
    }

    synchronized void report(String jobId, double fraction, String message) {
        if (!jobId.equals(this.jobId)) {
            return; // a thread the task left running after its job ended: the outcome is already out
        }
        Message.Progress progress = new Message.Progress(jobId, Math.max(0, Math.min(1, fraction)), message);
        long now = System.nanoTime();
        if (now - lastSentNanos >= INTERVAL_NANOS) {
            send(progress, now);
            return;
        }
        heldBack = progress;
        if (!flushScheduled) {
            flushScheduled = true;
            timer.schedule(this::flush, lastSentNanos + INTERVAL_NANOS - now, TimeUnit.NANOSECONDS);
        }
    }

    /** Sends the report still held back, if any, and takes no more for this job: its outcome comes next. */
    synchronized void end() {
        if (heldBack != null) {
            send(heldBack, System.nanoTime());
        }
        jobId = null;
    }

    private synchronized void flush() {
        flushScheduled = false;
        if (heldBack == null) {
            return;
        }
        long now = System.nanoTime();
        long wait = lastSentNanos + INTERVAL_NANOS - now;
        if (wait > 0) {
            // This flush ran late and a report went out inline meanwhile: sending now would make
            // two frames within one interval, so the held-back one waits out the rest.
            flushScheduled = true;
            timer.schedule(this::flush, wait, TimeUnit.NANOSECONDS);
            return;
        }
        send(heldBack, now);
    }

    private void send(Message.Progress progress, long now) {
        heldBack = null;
        lastSentNanos = now;
        channel.send(progress);
    }
}
