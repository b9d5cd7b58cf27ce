package io.jobpool.worker;

import io.jobpool.process.ProcessTree;
import io.jobpool.protocol.ExitCodes;
import io.jobpool.protocol.FrameCodec;
import io.jobpool.protocol.Message;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Entry point of a worker process.
 *
 * <p>Before any task class loads, frames move to a private copy of the real stdout and descriptors
 * 1 and 2 to a pipe the worker reads ({@link StandardDescriptors}, {@link DescriptorCapture});
 * {@code System.out} / {@code System.err} are replaced by capturing streams. So nothing a task
 * writes, from Java, native code or a child process, can corrupt a frame: it is the job's log. If
 * the descriptors cannot be moved (no native access), only {@code System.out} / {@code System.err}
 * are captured, as before, and the worker says so on its stderr. A reader thread takes frames off
 * stdin; when stdin ends the server is gone and the worker halts at once, even mid-job, so no
 * worker outlives its server.
 *
 * <p>Whenever the worker ends itself (stdin closed, shutdown, protocol error, boot failure) it first
 * kills its own process tree ({@link ProcessTree}: its descendants, its session, and what carries
 * its marker), so no process a task started outlives the worker either. This is what covers a
 * kill -9 of the server, when nobody else is left to clean up.
 */
public final class WorkerMain {

    private static final Duration EXIT_GRACE = Duration.ofSeconds(1);
    /** How long a job's end waits for what its processes wrote to descriptors 1 and 2 to be read. */
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(2);
    private static final AtomicBoolean EXITING = new AtomicBoolean();

    private WorkerMain() {}

    public static void main(String[] argv) {
        StandardDescriptors moved = null;
        String notMoved = null;
        try {
            moved = StandardDescriptors.move(Libc.load());
        } catch (Exception | LinkageError e) {
            notMoved = e.toString();
        }
        PrintStream realErr = new PrintStream(moved != null ? moved.realErr() : new FileOutputStream(FileDescriptor.err), true,
                StandardCharsets.UTF_8);
        ProtocolChannel channel = new ProtocolChannel(FrameCodec.output(
                moved != null ? moved.frames() : new FileOutputStream(FileDescriptor.out)));
        CapturedOutput captured = new CapturedOutput(channel, realErr);
        System.setOut(captured.printStream());
        System.setErr(captured.printStream());
        Runnable drainDescriptors;
        if (moved != null) {
            DescriptorCapture descriptors = new DescriptorCapture(moved.logReadEnd(), moved.logWriteEnd(), captured.sink()).start();
            drainDescriptors = () -> descriptors.drain(DRAIN_TIMEOUT);
        } else {
            realErr.println("jobpool worker: cannot move the protocol off descriptor 1 (" + notMoved + "); only System.out and"
                    + " System.err are captured, and what native code or a child process writes to descriptor 1 breaks the protocol");
            drainDescriptors = () -> {};
        }
        DataInputStream in = FrameCodec.input(moved != null ? moved.incoming() : new FileInputStream(FileDescriptor.in));
        // A task reading System.in gets end-of-file, never the server's frames.
        System.setIn(java.io.InputStream.nullInputStream());

        JobRunner runner;
        try {
            if (!(FrameCodec.read(in) instanceof Message.Init init)) {
                throw new IllegalStateException("first frame was not init");
            }
            TaskRegistry registry = TaskRegistry.load(init.diagnostics());
            runner = new JobRunner(registry, channel, captured, init.maxResultBytes(), drainDescriptors);
            if (init.initializer() != null && !init.initializer().isBlank()) {
                runner.runInitializer(init.initializer(), init.initializerArgs());
            }
            channel.send(new Message.Ready(ProcessHandle.current().pid(), registry.catalogue()));
        } catch (EOFException serverGone) {
            exit(ExitCodes.OK, realErr);
            return;
        } catch (Throwable bootFailure) {
            // What the initializer's processes wrote goes first: the server keeps the last lines.
            drainDescriptors.run();
            System.out.flush();
            realErr.println("jobpool worker could not boot: " + bootFailure);
            bootFailure.printStackTrace(realErr);
            exit(ExitCodes.BOOT_FAILURE, realErr);
            return;
        }

        BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
        Thread reader = Thread.ofPlatform().daemon().name("jobpool-protocol-reader").start(() -> readFrames(in, inbox, realErr));
        loop(runner, inbox, realErr);
        reader.interrupt();
    }

    private static void readFrames(DataInputStream in, BlockingQueue<Message> inbox, PrintStream realErr) {
        while (true) {
            try {
                inbox.add(FrameCodec.read(in));
            } catch (EOFException serverGone) {
                exit(ExitCodes.OK, realErr);
            } catch (IOException e) {
                realErr.println("jobpool worker: protocol error, exiting: " + e.getMessage());
                exit(ExitCodes.PROTOCOL_ERROR, realErr);
            }
        }
    }

    /**
     * Kills what the worker's tasks left running (SIGTERM, a short grace, SIGKILL), then halts. The
     * grace is short because whoever waits for this worker (a server stopping it, or nobody) should
     * not wait long.
     *
     * <p>Only the first caller ends the worker; a second one (the server sends shutdown and then
     * closes the pipe, so the main loop and the frame reader both get here) waits for the halt. A
     * second tree kill is not only redundant: while the first caller halts, the JVM itself may
     * start a child process (a training run with {@code -XX:AOTCacheOutput} assembles the AOT
     * cache in a child JVM at exit), and the second kill found that child and killed it, so the
     * cache was only made when the race went the right way.
     */
    private static void exit(int status, PrintStream realErr) {
        if (!EXITING.compareAndSet(false, true)) {
            while (true) {
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    // keep waiting: the halt ends this thread
                }
            }
        }
        try {
            var killed = ProcessTree.ofCurrentProcess().kill(EXIT_GRACE);
            if (!killed.isEmpty()) {
                realErr.println("jobpool worker: exiting; killed " + killed.size() + " process(es) its tasks left running: "
                        + killed.stream().map(e -> Long.toString(e.pid())).toList());
            }
        } catch (RuntimeException e) {
            realErr.println("jobpool worker: could not kill its processes before exiting: " + e);
        }
        Runtime.getRuntime().halt(status);
    }

    private static void loop(JobRunner runner, BlockingQueue<Message> inbox, PrintStream realErr) {
        while (true) {
            Message message;
            try {
                message = inbox.take();
            } catch (InterruptedException e) {
                return;
            }
            // instanceof rather than a pattern switch, whose first use generates a class at run time
            // (see MessageJson.write): the first job would pay for it.
            if (message instanceof Message.Run run) {
                runner.run(run);
            } else if (message instanceof Message.Shutdown) {
                System.out.flush();
                exit(ExitCodes.OK, realErr);
            } else {
                throw new IllegalStateException("unexpected " + message);
            }
        }
    }
}
