package io.jobpool.tasks;

import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * Tasks that break their worker on purpose, to prove the pool survives it. Registered only with
 * {@code jobpool.tasks.diagnostics=true}; never enable that where untrusted clients submit.
 */
public final class Diagnostics {

    private Diagnostics() {}

    /** The exit status {@code code}, 1 when not given; 1.7 is refused rather than read as 1. */
    private static int code(TaskArguments arguments, String task) {
        arguments.onlyParameters(task, "code");
        Integer code = arguments.integer(0, "code");
        return code == null ? 1 : code;
    }

    /** {@code System.exit(code)}: shutdown hooks run, then the worker is gone. */
    public static final class Exit implements Task {
        @Override
        public String name() {
            return "exit";
        }

        @Override
        public String description() {
            return "Diagnostic: calls System.exit with 'code' (default 1).";
        }

        @Override
        public boolean diagnostic() {
            return true;
        }

        @Override
        public Object run(TaskArguments arguments, TaskContext context) {
            System.exit(code(arguments, "exit"));
            return null;
        }
    }

    /** {@code Runtime.halt(code)}: the worker vanishes without running anything else. */
    public static final class Halt implements Task {
        @Override
        public String name() {
            return "halt";
        }

        @Override
        public String description() {
            return "Diagnostic: calls Runtime.halt with 'code' (default 1).";
        }

        @Override
        public boolean diagnostic() {
            return true;
        }

        @Override
        public Object run(TaskArguments arguments, TaskContext context) {
            Runtime.getRuntime().halt(code(arguments, "halt"));
            return null;
        }
    }

    /** Allocates until the heap is exhausted; the worker runs with ExitOnOutOfMemoryError. */
    public static final class Oom implements Task {
        @Override
        public String name() {
            return "oom";
        }

        @Override
        public String description() {
            return "Diagnostic: allocates memory until OutOfMemoryError.";
        }

        @Override
        public boolean diagnostic() {
            return true;
        }

        @Override
        public Object run(TaskArguments arguments, TaskContext context) {
            arguments.onlyParameters("oom");
            List<long[]> hoard = new ArrayList<>();
            while (true) {
                hoard.add(new long[1 << 20]);
            }
        }
    }

    /** Never returns: only a timeout or a cancel ends it. */
    public static final class Hang implements Task {
        @Override
        public String name() {
            return "hang";
        }

        @Override
        public String description() {
            return "Diagnostic: never returns (ignores interrupts).";
        }

        @Override
        public boolean diagnostic() {
            return true;
        }

        @Override
        public Object run(TaskArguments arguments, TaskContext context) {
            arguments.onlyParameters("hang");
            return hangForever();
        }

        static Object hangForever() {
            while (true) {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException ignored) {
                    // A hung task does not cooperate; that is the point.
                }
            }
        }
    }

    /** The {@code seconds} argument as {@code sleep} takes it, written as the client wrote it (987.6 stays 987.6). */
    private static String sleepSeconds(TaskArguments arguments, String task) {
        arguments.onlyParameters(task, "seconds");
        JsonNode seconds = arguments.number(0, "seconds");
        if (seconds.decimalValue().signum() < 0) {
            throw new IllegalArgumentException("seconds must not be negative, got " + seconds);
        }
        return seconds.decimalValue().toPlainString();
    }

    /**
     * Starts a child OS process {@code sleep <seconds>}, then hangs like {@link Hang}: only a timeout
     * or a cancel ends it, and the kill must take the child along.
     */
    public static final class Spawn implements Task {
        @Override
        public String name() {
            return "spawn";
        }

        @Override
        public String description() {
            return "Diagnostic: starts a child process 'sleep <seconds>', then never returns.";
        }

        @Override
        public boolean diagnostic() {
            return true;
        }

        @Override
        public Object run(TaskArguments arguments, TaskContext context) throws Exception {
            String seconds = sleepSeconds(arguments, "spawn");
            // Its output is discarded: inherited, it would write into the worker's protocol pipe.
            Process child = new ProcessBuilder("sleep", seconds).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            context.log("started child process sleep " + seconds + " (pid " + child.pid() + "); hanging");
            return Hang.hangForever();
        }
    }

    /**
     * Starts {@code sleep <seconds>} detached, as a daemon does: {@code setsid --fork} forks, the
     * child makes a session of its own and the parent exits, so the sleep is re-parented to init,
     * neither a descendant of the worker nor in its session. Returns at once; the pool must still
     * find it (by the worker's environment marker) and kill it when the job ends.
     */
    public static final class Orphan implements Task {
        @Override
        public String name() {
            return "orphan";
        }

        @Override
        public String description() {
            return "Diagnostic: starts a detached 'sleep <seconds>' in its own session and returns at once.";
        }

        @Override
        public boolean diagnostic() {
            return true;
        }

        @Override
        public Object run(TaskArguments arguments, TaskContext context) throws Exception {
            String seconds = sleepSeconds(arguments, "orphan");
            Process launcher = new ProcessBuilder("setsid", "--fork", "sleep", seconds)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            int status = launcher.waitFor();
            if (status != 0) {
                throw new IllegalStateException("setsid --fork sleep " + seconds + " exited with " + status);
            }
            awaitExec(seconds);
            context.log("started detached sleep " + seconds + " in its own session");
            return new java.math.BigDecimal(seconds);
        }

        /**
         * Waits (up to 2 s) until the forked child has become the sleep: returning earlier, the job
         * could end while the leftover still shows as {@code setsid}, and the pool's report of what
         * it killed would name that instead of the sleep a reader looks for.
         */
        private static void awaitExec(String seconds) throws InterruptedException {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(2);
            while (System.nanoTime() < deadline && ProcessHandle.allProcesses().anyMatch(process -> process.info().command()
                    .filter(command -> command.endsWith("/setsid")).isPresent()
                    && process.info().arguments().map(arguments -> java.util.List.of(arguments).contains(seconds)).orElse(false))) {
                Thread.sleep(5);
            }
        }
    }

    /**
     * Returns what task code can see of its process: the environment, the system properties and
     * the JVM's command line. Proves that none of the server's secrets reach a worker.
     */
    public static final class Environment implements Task {
        @Override
        public String name() {
            return "environment";
        }

        @Override
        public String description() {
            return "Diagnostic: returns the worker's environment variables, system properties and JVM arguments.";
        }

        @Override
        public boolean diagnostic() {
            return true;
        }

        @Override
        public Object run(TaskArguments arguments, TaskContext context) {
            arguments.onlyParameters("environment");
            java.util.Map<String, String> properties = new java.util.TreeMap<>();
            System.getProperties().forEach((name, value) -> properties.put(String.valueOf(name), String.valueOf(value)));
            return java.util.Map.of(
                    "environment", new java.util.TreeMap<>(System.getenv()),
                    "properties", properties,
                    "jvmArguments", ProcessHandle.current().info().arguments().map(List::of).orElse(List.of()));
        }
    }
}
