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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Entry point of a worker process.
 *
 * <p>The launcher arranges the descriptors before the JVM starts ({@code WorkerLauncher}): frames
 * from the server on descriptor 3, frames to it on descriptor 4, descriptor 0 reading end-of-file,
 * and descriptors 1 and 2 both the pipe the server reads as the worker's stderr. So nothing a task
 * writes, from Java, native code or a child process started with {@code inheritIO()}, can corrupt
 * a frame or take one: {@code System.out} / {@code System.err} write there too, unbuffered, and
 * the server reads what lies between a job's begin and end marks into the job's log
 * ({@link MarkedOutput}). Started without that arrangement (no {@code /bin/sh}, a test), frames
 * are on descriptors 0 and 1 and only {@code System.out} / {@code System.err} are captured, in
 * frames ({@link CapturedOutput}). A reader thread takes frames off the protocol; when it ends the
 * server is gone and the worker halts at once, even mid-job, so no worker outlives its server.
 *
 * <p>Whenever the worker ends itself (stdin closed, shutdown, protocol error, boot failure) it first
 * kills its own process tree ({@link ProcessTree}: its descendants, its session, and what carries
 * its marker), so no process a task started outlives the worker either. This is what covers a
 * kill -9 of the server, when nobody else is left to clean up.
 */
public final class WorkerMain {

    /**
     * The argument that says the launcher put frames on descriptors 3 (in) and 4 (out), 1 and 2 on
     * the stderr pipe and 0 on {@code /dev/null}.
     */
    public static final String FRAMES_ON_3_AND_4 = "--frames-on-3-and-4";

    private static final Duration EXIT_GRACE = Duration.ofSeconds(1);
    private static final AtomicBoolean EXITING = new AtomicBoolean();

    private WorkerMain() {}

    public static void main(String[] argv) {
        boolean arranged = argv.length > 0 && FRAMES_ON_3_AND_4.equals(argv[0]);
        // Unbuffered: a job's end mark is one write, never split around another writer's bytes.
        FileOutputStream stderr = new FileOutputStream(FileDescriptor.err);
        PrintStream realErr = new PrintStream(stderr, true, StandardCharsets.UTF_8);
        java.io.InputStream framesIn;
        java.io.OutputStream framesOut;
        if (arranged) {
            try {
                // Java cannot wrap a descriptor number in a stream; opened again by its path, a pipe is the same pipe.
                framesIn = new FileInputStream(descriptor(3));
                framesOut = new FileOutputStream(descriptor(4));
            } catch (IOException e) {
                realErr.println("jobpool worker: cannot open the protocol's descriptors 3 and 4: " + e);
                Runtime.getRuntime().halt(ExitCodes.BOOT_FAILURE);
                return;
            }
        } else {
            framesIn = new FileInputStream(FileDescriptor.in);
            framesOut = new FileOutputStream(FileDescriptor.out);
            realErr.println("jobpool worker: started without its launcher's descriptors; only System.out and System.err are"
                    + " captured, and what native code or a child process writes to descriptor 1 breaks the protocol");
        }
        ProtocolChannel channel = new ProtocolChannel(FrameCodec.output(framesOut));
        JobOutput output;
        if (arranged) {
            output = new MarkedOutput(new FileOutputStream(FileDescriptor.out), stderr);
        } else {
            CapturedOutput captured = new CapturedOutput(channel, realErr);
            System.setOut(captured.printStream());
            System.setErr(captured.printStream());
            output = captured;
        }
        DataInputStream in = FrameCodec.input(framesIn);
        // A task reading System.in gets end-of-file, never the server's frames.
        System.setIn(java.io.InputStream.nullInputStream());

        JobRunner runner;
        try {
            if (!(FrameCodec.read(in) instanceof Message.Init init)) {
                throw new IllegalStateException("first frame was not init");
            }
            if (output instanceof MarkedOutput marked) {
                marked.token(init.outputToken());
            }
            TaskRegistry registry = TaskRegistry.load(init.diagnostics());
            runner = new JobRunner(registry, channel, output, init.maxResultBytes());
            if (init.initializer() != null && !init.initializer().isBlank()) {
                runner.runInitializer(init.initializer(), init.initializerArgs());
            }
            channel.send(new Message.Ready(ProcessHandle.current().pid(), registry.catalogue()));
        } catch (EOFException serverGone) {
            exit(ExitCodes.OK, realErr);
            return;
        } catch (Throwable bootFailure) {
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

    /** Descriptor {@code fd} as a path: {@code /proc/self/fd} on Linux, {@code /dev/fd} on macOS. */
    private static java.io.File descriptor(int fd) {
        Path directory = Files.isDirectory(Path.of("/proc/self/fd")) ? Path.of("/proc/self/fd") : Path.of("/dev/fd");
        return directory.resolve(Integer.toString(fd)).toFile();
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
