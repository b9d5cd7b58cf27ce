package io.jobpool.worker;

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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import tools.jackson.databind.json.JsonMapper;

/**
 * Entry point of a worker process.
 *
 * <p>The real stdout becomes the protocol pipe before any task class loads, and {@code System.out}
 * / {@code System.err} are replaced by capturing streams, so nothing a task prints can corrupt a
 * frame. A reader thread takes frames off stdin; when stdin ends the server is gone and the worker
 * halts at once, even mid-job, so no worker outlives its server.
 */
public final class WorkerMain {

    private WorkerMain() {}

    public static void main(String[] argv) {
        PrintStream realErr = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        ProtocolChannel channel = new ProtocolChannel(FrameCodec.output(new FileOutputStream(FileDescriptor.out)));
        CapturedOutput captured = new CapturedOutput(channel, realErr);
        System.setOut(captured.printStream());
        System.setErr(captured.printStream());
        DataInputStream in = FrameCodec.input(new FileInputStream(FileDescriptor.in));

        JobRunner runner;
        try {
            if (!(FrameCodec.read(in) instanceof Message.Init init)) {
                throw new IllegalStateException("first frame was not init");
            }
            JsonMapper json = JsonMapper.builder().build();
            TaskRegistry registry = TaskRegistry.load(init.diagnostics());
            runner = new JobRunner(registry, channel, captured, json, init.maxResultBytes());
            if (init.initializer() != null && !init.initializer().isBlank()) {
                runner.runInitializer(init.initializer(), init.initializerArgs());
            }
            channel.send(new Message.Ready(ProcessHandle.current().pid(), registry.catalogue()));
        } catch (EOFException serverGone) {
            Runtime.getRuntime().halt(ExitCodes.OK);
            return;
        } catch (Throwable bootFailure) {
            realErr.println("jobpool worker could not boot: " + bootFailure);
            bootFailure.printStackTrace(realErr);
            Runtime.getRuntime().halt(ExitCodes.BOOT_FAILURE);
            return;
        }

        BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
        Thread reader = Thread.ofPlatform().daemon().name("jobpool-protocol-reader").start(() -> readFrames(in, inbox, realErr));
        loop(runner, inbox);
        reader.interrupt();
    }

    private static void readFrames(DataInputStream in, BlockingQueue<Message> inbox, PrintStream realErr) {
        while (true) {
            try {
                inbox.add(FrameCodec.read(in));
            } catch (EOFException serverGone) {
                Runtime.getRuntime().halt(ExitCodes.OK);
            } catch (IOException e) {
                realErr.println("jobpool worker: protocol error, exiting: " + e.getMessage());
                Runtime.getRuntime().halt(ExitCodes.PROTOCOL_ERROR);
            }
        }
    }

    private static void loop(JobRunner runner, BlockingQueue<Message> inbox) {
        while (true) {
            Message message;
            try {
                message = inbox.take();
            } catch (InterruptedException e) {
                return;
            }
            switch (message) {
                case Message.Run run -> runner.run(run);
                case Message.Shutdown shutdown -> {
                    System.out.flush();
                    Runtime.getRuntime().halt(ExitCodes.OK);
                }
                case Message.Init init -> throw new IllegalStateException("init received twice");
                case Message.ToServer wrongWay -> throw new IllegalStateException("unexpected " + wrongWay);
            }
        }
    }
}
