package io.jobpool.worker;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Takes the protocol off descriptor 1, where anything that writes to the real stdout (native code,
 * {@code FileDescriptor.out}, a child process started with {@code inheritIO()}) put raw bytes
 * between frames, and the server read them as a frame length.
 *
 * <p>Frames go to a private copy of descriptor 1 and the worker's own messages to a private copy
 * of descriptor 2; descriptors 1 and 2 themselves then point at a pipe the worker reads
 * ({@link DescriptorCapture}), as the Python worker does. Java cannot wrap a descriptor number in a
 * stream, so each copy is opened again by its path under {@code /proc/self/fd} (Linux) or
 * {@code /dev/fd} (macOS): for a pipe that is the same pipe.
 *
 * <p>Descriptor 0 likewise: frames from the server are read from a private copy, and descriptor 0
 * reads end-of-file (a pipe whose write end is closed), so a task that reads its stdin, or a child
 * started with {@code inheritIO()} that does ({@code cat}, a script waiting for input), cannot take
 * the server's frames.
 *
 * @param frames the server's end of the protocol, for frames only
 * @param incoming the frames the server sends
 * @param realErr the pipe the server reads as the worker's stderr (its log, a boot failure's reason)
 * @param logReadEnd what is written to descriptors 1 and 2
 * @param logWriteEnd the worker's own way into that pipe, for its drain marks
 */
record StandardDescriptors(OutputStream frames, InputStream incoming, OutputStream realErr, InputStream logReadEnd,
        OutputStream logWriteEnd) {

    static StandardDescriptors move(Libc libc) throws IOException {
        Path fdDirectory = Files.isDirectory(Path.of("/proc/self/fd")) ? Path.of("/proc/self/fd") : Path.of("/dev/fd");
        int frames = libc.dup(1);
        int incoming = libc.dup(0);
        int realErr = libc.dup(2);
        int[] pipe = libc.pipe();
        int[] empty = libc.pipe();
        int[] copies = {frames, incoming, realErr, pipe[0], pipe[1], empty[0], empty[1]};
        try {
            // Opened before descriptors 0 to 2 move: if this fails, nothing has changed yet.
            StandardDescriptors moved = new StandardDescriptors(
                    new FileOutputStream(fdDirectory.resolve(Integer.toString(frames)).toFile()),
                    new FileInputStream(fdDirectory.resolve(Integer.toString(incoming)).toFile()),
                    new FileOutputStream(fdDirectory.resolve(Integer.toString(realErr)).toFile()),
                    new FileInputStream(fdDirectory.resolve(Integer.toString(pipe[0])).toFile()),
                    new FileOutputStream(fdDirectory.resolve(Integer.toString(pipe[1])).toFile()));
            try {
                libc.dup2(pipe[1], 1);
                libc.dup2(pipe[1], 2);
                // The empty pipe's write end is closed below: descriptor 0 then reads end-of-file.
                libc.dup2(empty[0], 0);
            } catch (IOException e) {
                // Put descriptors 0 and 1 back, so the fallback's frames still flow.
                libc.dup2(frames, 1);
                libc.dup2(incoming, 0);
                moved.closeAll();
                throw e;
            }
            return moved;
        } finally {
            // The streams hold descriptors of their own; these numbers are no longer needed.
            for (int fd : copies) {
                libc.close(fd);
            }
        }
    }

    private void closeAll() {
        for (java.io.Closeable stream : new java.io.Closeable[] {frames, incoming, realErr, logReadEnd, logWriteEnd}) {
            try {
                stream.close();
            } catch (IOException ignored) {
                // nothing more to undo
            }
        }
    }
}
