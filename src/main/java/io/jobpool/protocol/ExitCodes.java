package io.jobpool.protocol;

/** Worker exit statuses the server interprets; the exit code is part of the protocol. */
public final class ExitCodes {

    /** Clean exit after a {@code Shutdown} message or when the server went away. */
    public static final int OK = 0;

    /**
     * The worker could not boot (a task failed to load, the initializer threw). The pool backs off
     * instead of respawning in a loop, like gunicorn's WORKER_BOOT_ERROR.
     */
    public static final int BOOT_FAILURE = 78;

    /** Frames from the server could not be read: the pipe carries something else. */
    public static final int PROTOCOL_ERROR = 76;

    private ExitCodes() {}

    /** What happened to a process with this exit status: "exited with code 1", "was killed by SIGKILL". */
    public static String describe(int exitCode) {
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
            return "was killed by " + name + " (signal " + signal + ")";
        }
        return switch (exitCode) {
            case BOOT_FAILURE -> "exited with code 78 (could not boot)";
            case PROTOCOL_ERROR -> "exited with code 76 (protocol error)";
            default -> "exited with code " + exitCode;
        };
    }

    /**
     * A likely cause worth telling an operator, or an empty string. A SIGKILL nobody in jobpool sent
     * is most often the kernel's OOM killer (gunicorn says the same).
     */
    public static String hint(int exitCode, String stderrTail) {
        if (stderrTail != null && stderrTail.contains("OutOfMemoryError")) {
            return " (OutOfMemoryError)";
        }
        return exitCode == 128 + 9 ? "; perhaps out of memory?" : "";
    }
}
