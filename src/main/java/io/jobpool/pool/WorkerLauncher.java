package io.jobpool.pool;

import io.jobpool.process.ProcessTree;
import io.jobpool.worker.WorkerMain;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts worker processes: the same {@code java} binary as the server, a small heap, the worker
 * class path, and a scrubbed environment.
 *
 * <p>Each worker starts through {@code setsid} (util-linux), so it leads a session and process
 * group of its own and everything its tasks start can be found and killed with it (see
 * {@link ProcessTree}). {@code setsid} runs without {@code --fork}: the child of a JVM is never a
 * group leader, so {@code setsid} calls setsid(2) and execs {@code java} in place, and the pid the
 * pool holds is the worker's own. Each worker also carries a marker of its own in
 * {@link ProcessTree#MARKER_VARIABLE}.
 *
 * <p>Between {@code setsid} and {@code java}, {@code /bin/sh} arranges the worker's descriptors
 * and execs in place ({@link #DESCRIPTORS}): frames move to descriptors 3 and 4, and descriptors 1
 * and 2, which task code, native code and child processes write to, both become the stderr pipe
 * the pool reads into the running job's log. Doing this before the JVM starts costs a shell's exec
 * (about a millisecond); done by the worker itself, with dup2 through the FFM API, it cost each
 * worker ~90 ms of start-up and ~4 MB, for the method handles the downcalls spin.
 */
public final class WorkerLauncher implements ProcessLauncher {

    private static final Logger log = LoggerFactory.getLogger(WorkerLauncher.class);

    /**
     * Variables a worker may inherit. Everything else is dropped: the server's environment carries
     * API keys, the webhook secret and the database password, which task code must never see.
     */
    static final Set<String> SAFE_ENVIRONMENT = Set.of("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER");

    private final List<String> command;
    private final Map<String, String> environment;
    private final AotCache aotCache;
    private final List<Path> files;
    private final List<String> sessionPrefix = sessionPrefix();

    /**
     * Runs its arguments with frames from the server on descriptor 3 and to it on 4, descriptor 0
     * reading end-of-file (a child that reads its stdin must not take frames) and descriptor 1 on
     * the stderr pipe (what is written there must not land between frames). The shell exports the
     * {@code PWD} it sets at start; unset, the worker's environment stays the scrubbed one.
     */
    static final List<String> DESCRIPTORS = List.of("/bin/sh", "-c", "unset PWD; exec \"$@\" 3<&0 4>&1 0</dev/null 1>&2",
            "jobpool-worker");

    /**
     * @param cacheDir a writable directory for the workers' class cache (the class path itself may
     *     be read-only, as in a container)
     */
    static final List<String> JVM_OUTPUT_TO_STDERR = List.of("-XX:+DisplayVMOutputToStderr", "-Xlog:disable", "-Xlog:all=warning:stderr");

    public WorkerLauncher(String javaCommand, List<String> jvmOptions, List<Path> classpath, Path cacheDir,
            Map<String, String> serverEnvironment, List<String> passThrough) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaCommand);
        // The worker's stdout carries frames: whatever the JVM itself has to say (a warning about
        // an unusable AOT cache, say) goes to stderr, or it would break the protocol at boot.
        cmd.addAll(JVM_OUTPUT_TO_STDERR);
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, WorkerClasspath.asStrings(classpath)));
        cmd.add("io.jobpool.worker.WorkerMain");
        if (new File(DESCRIPTORS.getFirst()).canExecute()) {
            cmd.add(WorkerMain.FRAMES_ON_3_AND_4);
        } else {
            log.warn("No {}: workers keep their frames on stdin and stdout, and what a task's child process or native code"
                    + " writes to stdout breaks the protocol", DESCRIPTORS.getFirst());
        }
        this.command = List.copyOf(cmd);
        this.environment = scrub(serverEnvironment, passThrough);
        this.aotCache = new AotCache(cacheDir, this.command);
        List<Path> files = new ArrayList<>(classpath);
        files.add(aotCache.file());
        this.files = List.copyOf(files);
    }

    @Override
    public List<Path> files() {
        return files;
    }

    @Override
    public String runtime() {
        return "java";
    }

    /** Starts making the workers' ahead-of-time class cache in the background, if it can be made. */
    @Override
    public void prepareFastStart() {
        aotCache.trainInBackground(command, environment);
    }

    /** Stops background work of the launcher (a class cache training run). */
    @Override
    public void close() {
        aotCache.stopTraining();
    }

    /** The java binary running this server. */
    public static String currentJava() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * Only the safe variables and those explicitly passed through survive. The server's own
     * configuration ({@code JOBPOOL_*}, {@code SPRING_*}) never does, even when passed through: it
     * carries the API keys, the webhook secret and the database password, which task code never
     * sees (a {@code worker-env} that names such a variable already stops the start, with the
     * other settings out of bounds).
     */
    static Map<String, String> scrub(Map<String, String> serverEnvironment, List<String> passThrough) {
        Map<String, String> kept = new java.util.TreeMap<>();
        serverEnvironment.forEach((name, value) -> {
            String upper = name.toUpperCase(java.util.Locale.ROOT);
            boolean serverOwn = upper.startsWith("JOBPOOL_") || upper.startsWith("SPRING_");
            if (SAFE_ENVIRONMENT.contains(name) || passThrough.contains(name) && !serverOwn) {
                kept.put(name, value);
            }
        });
        return Map.copyOf(kept);
    }

    /**
     * Starts a worker in a session of its own with {@code marker} as its {@link ProcessTree#MARKER_VARIABLE}.
     */
    @Override
    public Process launch(String marker) throws IOException {
        List<String> java = new ArrayList<>(command);
        java.addAll(1, aotCache.options());
        List<String> launch = new ArrayList<>(sessionPrefix);
        launch.addAll(withDescriptors(java));
        ProcessBuilder builder = new ProcessBuilder(launch);
        builder.environment().clear();
        builder.environment().putAll(environment);
        builder.environment().put(ProcessTree.MARKER_VARIABLE, marker);
        return builder.start();
    }

    /** {@code javaCommand} behind the shell that arranges its descriptors, if it expects that. */
    static List<String> withDescriptors(List<String> javaCommand) {
        if (!javaCommand.getLast().equals(WorkerMain.FRAMES_ON_3_AND_4)) {
            return javaCommand;
        }
        List<String> wrapped = new ArrayList<>(DESCRIPTORS);
        wrapped.addAll(javaCommand);
        return wrapped;
    }

    /** Whether this launcher's workers write a job's raw output to stderr, ended by its mark. */
    @Override
    public boolean outputOnStderr() {
        return command.getLast().equals(WorkerMain.FRAMES_ON_3_AND_4);
    }

    /**
     * {@code setsid} if the system has it (every Linux with util-linux, and the image). Without it
     * (macOS) workers share the server's session; their descendants and marked processes are still
     * found, only orphans that cleared the marker are not.
     */
    static List<String> sessionPrefix() {
        for (String candidate : List.of("/usr/bin/setsid", "/bin/setsid")) {
            if (new File(candidate).canExecute()) {
                return List.of(candidate);
            }
        }
        log.warn("No setsid found (util-linux); workers run in the server's session and a task's orphaned "
                + "processes are found only by their environment marker");
        return List.of();
    }

    public List<String> command() {
        return command;
    }

    public Map<String, String> environment() {
        return environment;
    }
}
