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

    private static int code(TaskArguments arguments, int fallback) {
        JsonNode code = arguments.optional(0, "code");
        return code == null ? fallback : code.asInt();
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
            System.exit(code(arguments, 1));
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
            Runtime.getRuntime().halt(code(arguments, 1));
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
            while (true) {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException ignored) {
                    // A hung task does not cooperate; that is the point.
                }
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
            java.util.Map<String, String> properties = new java.util.TreeMap<>();
            System.getProperties().forEach((name, value) -> properties.put(String.valueOf(name), String.valueOf(value)));
            return java.util.Map.of(
                    "environment", new java.util.TreeMap<>(System.getenv()),
                    "properties", properties,
                    "jvmArguments", ProcessHandle.current().info().arguments().map(List::of).orElse(List.of()));
        }
    }
}
