package io.jobpool.worker;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The four descriptor calls of the C library the worker needs, through the Foreign Function and
 * Memory API (no JNI library to ship). {@code dup}, {@code dup2}, {@code pipe} and {@code close}
 * have the same signatures in glibc, musl and macOS's libSystem, none of them variadic.
 */
final class Libc {

    private final MethodHandle dup;
    private final MethodHandle dup2;
    private final MethodHandle pipe;
    private final MethodHandle close;

    private Libc(Linker linker) {
        var intOfInt = FunctionDescriptor.of(JAVA_INT, JAVA_INT);
        this.dup = handle(linker, "dup", intOfInt);
        this.dup2 = handle(linker, "dup2", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        this.pipe = handle(linker, "pipe", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        this.close = handle(linker, "close", intOfInt);
    }

    /**
     * Binds the calls; throws if this JVM cannot (no native linker for the platform, native access
     * denied with {@code --illegal-native-access=deny}).
     */
    static Libc load() {
        return new Libc(Linker.nativeLinker());
    }

    private static MethodHandle handle(Linker linker, String name, FunctionDescriptor descriptor) {
        MemorySegment address = linker.defaultLookup().find(name)
                .orElseThrow(() -> new UnsupportedOperationException("the C library has no " + name));
        return linker.downcallHandle(address, descriptor);
    }

    int dup(int fd) throws IOException {
        return checked("dup(" + fd + ")", invoke(dup, fd));
    }

    void dup2(int from, int to) throws IOException {
        checked("dup2(" + from + ", " + to + ")", invoke(dup2, from, to));
    }

    /** A new pipe: its read end, then its write end. */
    int[] pipe() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int result;
            try {
                result = (int) pipe.invokeExact(fds);
            } catch (Throwable e) {
                throw new IllegalStateException("pipe() could not be called", e);
            }
            checked("pipe()", result);
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    void close(int fd) {
        invoke(close, fd);
    }

    private static int invoke(MethodHandle handle, int argument) {
        try {
            return (int) handle.invokeExact(argument);
        } catch (Throwable e) {
            throw new IllegalStateException(handle + " could not be called", e);
        }
    }

    private static int invoke(MethodHandle handle, int first, int second) {
        try {
            return (int) handle.invokeExact(first, second);
        } catch (Throwable e) {
            throw new IllegalStateException(handle + " could not be called", e);
        }
    }

    private static int checked(String call, int result) throws IOException {
        if (result < 0) {
            throw new IOException(call + " failed");
        }
        return result;
    }
}
