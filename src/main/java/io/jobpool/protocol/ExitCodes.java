package io.jobpool.protocol;

/** Worker exit statuses the server interprets; the exit code is part of the protocol. */
public final class ExitCodes {

    /** Clean exit after a {@code Shutdown} message or when the server went away. */
    public static final int OK = 0;

    /**
     * Out of memory: what a Java worker's JVM exits with under {@code -XX:+ExitOnOutOfMemoryError},
     * and what the Python worker exits with on MemoryError.
     */
    public static final int OUT_OF_MEMORY = 3;

    /**
     * The worker could not boot (a task failed to load, the initializer threw). The pool backs off
     * instead of respawning in a loop, like gunicorn's WORKER_BOOT_ERROR.
     */
    public static final int BOOT_FAILURE = 78;

    /** Frames from the server could not be read: the pipe carries something else. */
    public static final int PROTOCOL_ERROR = 76;

    private ExitCodes() {}

    /**
     * What the exit code says, and no more: "exited with code 137". A task may call
     * {@code System.exit} with any code, and Java reports a process killed by signal N as code
     * 128+N, so a code above 128 names the signal it would stand for without claiming one was sent;
     * the pool says so itself when it sent one. The workers' own codes (78, 76) are not named here:
     * a task can exit with them too, and what the worker wrote on stderr says when it used them.
     */
    public static String describe(int exitCode) {
        String text = "exited with code " + exitCode;
        if (exitCode > 128 && exitCode < 160) {
            int signal = exitCode - 128;
            String name = switch (signal) {
                case 1 -> "SIGHUP";
                case 2 -> "SIGINT";
                case 6 -> "SIGABRT";
                case 9 -> "SIGKILL";
                case 11 -> "SIGSEGV";
                case 15 -> "SIGTERM";
                default -> "signal " + signal;
            };
            return text + " (also the code of a process killed by " + (name.startsWith("signal") ? name : name + ", signal " + signal) + ")";
        }
        return text;
    }

    /**
     * What the worker's stderr told about the exit, or an empty string. Out of memory is named when
     * the worker exited with the code the runtimes exit with on it and said so (the JVM's
     * "Terminating due to java.lang.OutOfMemoryError", the Python worker's MemoryError trace):
     * never from the code alone, which a task's own {@code System.exit(3)} also gives, nor from a
     * line alone, which a task may have printed before its worker was killed.
     *
     * @param stderr lines of the worker's stderr since the job started
     */
    public static String hint(int exitCode, String stderr) {
        if (exitCode != OUT_OF_MEMORY || stderr == null) {
            return "";
        }
        if (stderr.contains("OutOfMemoryError")) {
            return " (OutOfMemoryError)";
        }
        if (stderr.contains("MemoryError")) {
            return " (MemoryError)";
        }
        return "";
    }
}
