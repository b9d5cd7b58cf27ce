package io.jobpool.pool;

import io.jobpool.protocol.FrameCodec;
import io.jobpool.protocol.Message;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * One worker process and the job it owns. Mutated only by the supervisor thread, except the
 * stderr tail which the stderr drain appends to.
 */
final class WorkerHandle {

    /** Why the supervisor is stopping this worker; decides the outcome of the job it holds. */
    enum StopReason { TIMEOUT, CANCEL, SHUTDOWN, RECYCLE, MEMORY, THREADS, RESIZE, PROTOCOL, BOOT_TIMEOUT, BOOT_REFUSED }

    final String id;
    /** The token of this worker's output marks ({@link io.jobpool.protocol.OutputMarks}), or {@code null} where it marks none. */
    final String outputToken;
    final Process process;
    final long pid;
    final Instant startedAt;
    final long spawnNanos;
    final int taskLimit;
    final WorkerProcesses processes;
    private final DataOutputStream stdin;
    /** Frames for the worker, written by its sender thread in order; a poison pill ends that thread. */
    private final java.util.concurrent.LinkedBlockingQueue<Outgoing> outbox = new java.util.concurrent.LinkedBlockingQueue<>();
    /** Held while a frame is written to {@link #stdin}, by the sender thread or by {@link #send} in place. */
    private final java.util.concurrent.locks.ReentrantLock writing = new java.util.concurrent.locks.ReentrantLock();
    /** Frames queued for the sender thread and not yet written: a frame may skip the queue only when none is. */
    private final java.util.concurrent.atomic.AtomicInteger unwritten = new java.util.concurrent.atomic.AtomicInteger();
    private static final Outgoing STOP_SENDING = new Outgoing(new Message.Shutdown(), null);

    /**
     * A queued frame: the message, and its encoding when {@link #send} already made it (a chunk's
     * frame is tens of kilobytes, and was encoded twice).
     */
    private record Outgoing(Message.ToWorker message, byte[] payload) {}
    /**
     * The largest frame {@link #send} writes in place: a sixteenth of a Linux pipe's 64 KB, so
     * even a worker that has not read its last few frames cannot make the write block.
     */
    private static final int WRITE_IN_PLACE_BYTES = 4096;
    /**
     * What the worker wrote on stderr: its first lines and its last. A Python traceback starts with
     * its header and the task module's frames; kept by its end only, a boot error began mid-frame.
     */
    private static final int STDERR_HEAD_LINES = 10;
    private static final int STDERR_TAIL_LINES = 30;
    private final List<String> stderrHead = new ArrayList<>(STDERR_HEAD_LINES);
    private final Deque<String> stderrTail = new ArrayDeque<>();
    private long stderrLinesLeftOut;
    private String memoryError;

    WorkerState state = WorkerState.STARTING;
    /** The tasks the worker registered when it booted; empty until it is ready. */
    java.util.Set<Message.TaskInfo> catalogue = java.util.Set.of();
    /** Started before the task modules changed: it goes once its current job ends. */
    boolean outdated;
    /** Why the worker asked to run no other job (its task left threads running), or {@code null}. */
    String retiring;
    int tasksCompleted;
    Assignment job;
    long jobDeadlineNanos;
    JobLog logs;
    StopReason stopReason;
    /** How the worker broke the protocol, when that is why it is being stopped. */
    String protocolError;
    long forceKillAtNanos;
    /** The system's fork count when the current job started ({@link io.jobpool.process.ForkCounter}). */
    java.util.OptionalLong forksAtJobStart = java.util.OptionalLong.empty();
    /** What the worker wrote on stderr outside any job since its last newline; logged by line. */
    final StringBuilder ownOutput = new StringBuilder();
    /** The last job whose end of output the worker marked on stderr ({@link io.jobpool.protocol.OutputMarks}). */
    String outputEndedFor;
    /** A job that returned before the end of its output was read from stderr; its outcome waits for it. */
    Unmarked unmarked;
    /** A job that returned while the processes it left behind are being killed; its outcome waits. */
    PendingReturn pendingReturn;

    /**
     * The job's outcome is reported once its leftover processes are gone, so a client that sees it
     * finished never finds the job's processes still running.
     */
    record PendingReturn(Assignment job, java.util.function.Function<String, JobOutcome> outcome, TreeKill kill) {}

    /** A returned job's outcome, waiting since {@code sinceNanos} for the last of its output. */
    record Unmarked(String jobId, java.util.function.Function<String, JobOutcome> outcome, long sinceNanos) {}

    WorkerHandle(String id, Process process, String marker, Instant startedAt, long spawnNanos, int taskLimit, String outputToken) {
        this.id = id;
        this.outputToken = outputToken;
        this.process = process;
        this.pid = process.pid();
        this.processes = new WorkerProcesses(io.jobpool.process.ProcessTree.of(pid, marker));
        this.startedAt = startedAt;
        this.spawnNanos = spawnNanos;
        this.taskLimit = taskLimit;
        this.stdin = FrameCodec.output(process.getOutputStream());
    }

    /**
     * Sends a frame to the worker without blocking the caller on the worker. The supervisor serves
     * every worker of the pool, and a frame bigger than the pipe's 64 KB (a batch chunk's items)
     * blocks its writer until the worker reads: written by the supervisor, that stalled every other
     * worker's results behind it. So frames go to the worker's sender thread, except a small one
     * when nothing is queued or being written: that one is written in place, since the pipe has
     * room for it (frames written earlier are read, and it is far below the pipe's size), which
     * saves a thread hand-off on every job. A failed write means the process is going away; its
     * exit event follows.
     */
    void send(Message.ToWorker message) {
        byte[] encoded = null;
        if (unwritten.get() == 0 && writing.tryLock()) {
            try {
                if (unwritten.get() == 0) {
                    byte[] payload = FrameCodec.encode(message);
                    encoded = payload;
                    if (payload.length <= WRITE_IN_PLACE_BYTES) {
                        try {
                            FrameCodec.writeEncoded(stdin, payload);
                        } catch (IOException e) {
                            // The worker closed its end: it is exiting, and the supervisor learns so from its exit.
                        }
                        return;
                    }
                }
            } finally {
                writing.unlock();
            }
        }
        unwritten.incrementAndGet();
        outbox.add(new Outgoing(message, encoded));
    }

    /** The sender thread's loop: writes queued frames in order until the worker is gone. */
    void sendLoop() {
        try {
            for (Outgoing frame = outbox.take(); frame != STOP_SENDING; frame = outbox.take()) {
                writing.lock();
                try {
                    FrameCodec.writeEncoded(stdin, frame.payload() != null ? frame.payload() : FrameCodec.encode(frame.message()));
                } finally {
                    unwritten.decrementAndGet();
                    writing.unlock();
                }
            }
        } catch (IOException e) {
            // The worker closed its end: it is exiting, and the supervisor learns so from its exit.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Ends the sender thread once the process has exited (frames still queued are moot). */
    void stopSending() {
        outbox.clear();
        outbox.add(STOP_SENDING);
    }

    void appendLog(String text) {
        if (logs != null) {
            logs.append(text);
        }
    }

    String takeLogs() {
        String text = logs == null ? "" : logs.toString();
        logs = null;
        return text;
    }

    synchronized void rememberStderr(String line) {
        if (line.contains("MemoryError")) {
            // Kept apart from the tail: a task's child still writing when the JVM died pushed it out.
            memoryError = line;
        }
        if (stderrHead.size() < STDERR_HEAD_LINES) {
            stderrHead.add(line);
            return;
        }
        if (stderrTail.size() == STDERR_TAIL_LINES) {
            stderrTail.removeFirst();
            stderrLinesLeftOut++;
        }
        stderrTail.addLast(line);
    }

    /**
     * A job starts: what the worker wrote on stderr before belongs to no job of this one's owner,
     * and must not become this job's WorkerLostError trace.
     */
    synchronized void forgetStderr() {
        stderrHead.clear();
        stderrTail.clear();
        stderrLinesLeftOut = 0;
        memoryError = null;
    }

    /** The first and the last lines of stderr since the job started (or since boot), joined. */
    synchronized String stderrTail() {
        List<String> lines = new ArrayList<>(stderrHead);
        if (stderrLinesLeftOut > 0) {
            lines.add("[jobpool] " + stderrLinesLeftOut + " line(s) left out");
        }
        lines.addAll(stderrTail);
        return String.join("\n", lines);
    }

    /** The last stderr line since the job started that names a MemoryError or OutOfMemoryError, or "". */
    synchronized String memoryError() {
        return memoryError == null ? "" : memoryError;
    }

    PoolSnapshot.WorkerInfo info() {
        // While its job's leftovers are killed the worker is still that job's (BUSY, the job RUNNING).
        Assignment current = job != null ? job : pendingReturn != null ? pendingReturn.job() : null;
        return new PoolSnapshot.WorkerInfo(id, pid, state, current == null ? null : current.jobId(), tasksCompleted, startedAt);
    }
}
