package io.jobpool.pool;

import io.jobpool.process.ProcessTree;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts Python worker processes: {@code python3 -B jobpool_worker.py --tasks-dir DIR} with the
 * same scrubbed environment rules as the Java workers ({@link WorkerLauncher#scrub}).
 *
 * <p>{@code -B} keeps Python from writing {@code __pycache__} into the tasks directory, which is
 * often read-only (a Kubernetes ConfigMap).
 */
public final class PythonLauncher implements ProcessLauncher {

    private final List<String> command;
    private final Map<String, String> environment;
    private final Path workerScript;
    private final List<String> sessionPrefix = WorkerLauncher.sessionPrefix();

    /**
     * @param memoryLimitBytes address space limit of each worker ({@code RLIMIT_AS}); 0 for none
     */
    public PythonLauncher(String python, Path workerScript, Path tasksDir, long memoryLimitBytes,
            Map<String, String> serverEnvironment, List<String> passThrough) {
        List<String> cmd = new ArrayList<>(List.of(python, "-B", workerScript.toString(),
                "--tasks-dir", tasksDir.toAbsolutePath().toString()));
        if (memoryLimitBytes > 0) {
            cmd.add("--memory-limit");
            cmd.add(Long.toString(memoryLimitBytes));
        }
        this.command = List.copyOf(cmd);
        this.environment = WorkerLauncher.scrub(serverEnvironment, passThrough);
        this.workerScript = workerScript;
    }

    @Override
    public List<Path> files() {
        return List.of(workerScript);
    }

    @Override
    public String runtime() {
        return "python";
    }

    @Override
    public String workerIdPrefix() {
        return "py-";
    }

    /** As the Java workers: through {@code setsid}, with the pool's marker (see {@link WorkerLauncher}). */
    @Override
    public Process launch(String marker) throws IOException {
        List<String> launch = new ArrayList<>(sessionPrefix);
        launch.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(launch);
        builder.environment().clear();
        builder.environment().putAll(environment);
        builder.environment().put(ProcessTree.MARKER_VARIABLE, marker);
        return builder.start();
    }

    public List<String> command() {
        return command;
    }

    public Map<String, String> environment() {
        return environment;
    }
}
