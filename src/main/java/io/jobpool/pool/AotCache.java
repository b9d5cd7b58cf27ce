package io.jobpool.pool;

import io.jobpool.protocol.FrameCodec;
import io.jobpool.protocol.Message;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JDK ahead-of-time cache (JEP 483/514) of the worker's classes, so a worker boots from
 * pre-parsed, pre-linked classes instead of loading Jackson and jobpool from jars each time.
 *
 * <p>It is made once per worker class path and JVM options by a short training run in the
 * background: a worker that boots, runs a few tasks and exits, with {@code -XX:AOTCacheOutput}.
 * Workers started before it exists boot without it. The cache is named after the jars' contents, and
 * is not used once a jar changes while the server runs. A class path with a directory cannot be cached and is left alone; {@link
 * WorkerClasspath} packs the classes directory of {@code spring-boot:run} or an IDE into a jar so
 * that those runs get a cache too.
 */
final class AotCache {

    private static final Logger log = LoggerFactory.getLogger(AotCache.class);

    private final Path file;
    private final boolean usable;
    private final List<Path> jars;
    private final List<String> jarsAtStart;
    private final AtomicBoolean jarsChanged = new AtomicBoolean();
    private final AtomicBoolean training = new AtomicBoolean();
    private volatile Process trainingRun;

    AotCache(Path cacheDir, List<String> command) {
        this.usable = classpathHasOnlyJars(command);
        this.jars = usable ? classpath(command) : List.of();
        this.jarsAtStart = stamps(jars);
        this.file = cacheDir.resolve("worker-" + digest(command, jars) + ".aot");
    }

    /** Where the cache is, or will be once made. */
    Path file() {
        return file;
    }

    /**
     * Whether the cache is there and not empty. An empty file (what a killed training run left,
     * before runs had to exit with 0) made every worker JVM warn at boot instead of starting.
     */
    private boolean madeWhole() {
        try {
            return Files.isRegularFile(file) && Files.size(file) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The option that makes a worker use the cache, once it exists, and while the jars it was made
     * from are unchanged: a plugin jar replaced while the server runs would otherwise keep running
     * its old classes from the cache (the JVM's own check did not catch a jar copied over in place).
     */
    List<String> options() {
        if (!usable || !madeWhole()) {
            return List.of();
        }
        if (!stamps(jars).equals(jarsAtStart)) {
            if (jarsChanged.compareAndSet(false, true)) {
                log.warn("A jar of the worker class path changed since the server started ({}); workers start without the"
                        + " AOT cache, so they load the new classes, until the server restarts and makes a cache of them", jars);
            }
            return List.of();
        }
        return List.of("-XX:AOTCache=" + file);
    }

    /** Makes the cache in the background unless it exists, cannot exist, or is being made. */
    void trainInBackground(List<String> command, java.util.Map<String, String> environment) {
        if (!usable || madeWhole() || !training.compareAndSet(false, true)) {
            return;
        }
        // A platform thread: it writes to and waits on a child process's pipes, which blocks in
        // native code and would pin a virtual thread's carrier for the whole training run.
        Thread.ofPlatform().daemon().name("jobpool-aot-training").start(() -> {
            try {
                train(command, environment);
            } catch (IOException | RuntimeException e) {
                log.info("Worker AOT cache not made ({}); workers start without it", e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    void train(List<String> command, java.util.Map<String, String> environment) throws IOException, InterruptedException {
        Files.createDirectories(file.getParent());
        Path output = Files.createTempFile(file.getParent(), ".training", ".aot");
        Files.delete(output);
        List<Message> jobs = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            jobs.add(new Message.Run("training-" + i, i % 2 == 0 ? "echo" : "square", "[" + i + "]", "{}", 1));
        }
        long started = System.nanoTime();
        try {
            int exit = runWorker(command, List.of("-XX:AOTCacheOutput=" + output), environment, jobs, "training run");
            // A run killed while it wrote (the server stopping) can leave part of a cache behind.
            if (exit != 0 || !Files.isRegularFile(output) || Files.size(output) == 0) {
                throw new IOException("training run exited with " + exit + " and wrote no whole cache");
            }
            bootsFrom(command, output, environment);
            Files.move(output, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            removeLeftovers(output);
        }
        log.info("Worker AOT cache made in {} ms ({} KiB); new workers start from it",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), Files.size(file) / 1024);
    }

    /**
     * Starts one worker from the new cache and stops it, before any worker depends on it. A cache
     * can be whole and still unusable: with a small initial heap ({@code -Xms2m} in
     * {@code pool.worker-jvm-options}) the JVM cannot load the cache's archived objects and exits
     * at boot ("Unable to use AOT cache"), so every worker started from it would fail and be
     * restarted, forever. {@code AOTMode=on} makes any reason the JVM cannot use the cache an exit
     * rather than a silent boot without it.
     */
    private void bootsFrom(List<String> command, Path cache, java.util.Map<String, String> environment)
            throws IOException, InterruptedException {
        int exit = runWorker(command, List.of("-XX:AOTMode=on", "-XX:AOTCache=" + cache), environment, List.of(),
                "a worker started from the new cache");
        if (exit != 0) {
            throw new IOException("a worker started from the new cache exited with " + exit
                    + " (the JVM could not use it with these worker options)");
        }
    }

    /**
     * Runs one worker JVM with {@code options} added to its command: sends it Init, {@code jobs}
     * and Shutdown, waits at most two minutes for it to exit and returns its exit code. Its stdout
     * carries protocol frames that nobody reads here: they are discarded with stderr.
     */
    private int runWorker(List<String> command, List<String> options, java.util.Map<String, String> environment,
            List<Message> jobs, String what) throws IOException, InterruptedException {
        List<String> withOptions = new ArrayList<>(command);
        withOptions.addAll(1, options);
        ProcessBuilder builder = new ProcessBuilder(WorkerLauncher.withDescriptors(withOptions)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().clear();
        builder.environment().putAll(environment);
        Process process = builder.start();
        trainingRun = process;
        try (DataOutputStream in = FrameCodec.output(process.getOutputStream())) {
            FrameCodec.write(in, new Message.Init(false, null, "[]", 1_000_000));
            for (Message job : jobs) {
                FrameCodec.write(in, job);
            }
            FrameCodec.write(in, new Message.Shutdown());
        } catch (IOException exitedEarly) {
            // The pipe broke: the JVM is gone already; its exit code says why.
        }
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IOException(what + " did not finish in 2 minutes");
        }
        return process.exitValue();
    }

    /**
     * Deletes what a training run that did not finish left beside the cache: the output and the
     * JVM's {@code <output>.config} file of the classes it recorded.
     */
    private static void removeLeftovers(Path output) {
        try (var leftovers = Files.list(output.getParent())) {
            for (Path leftover : (Iterable<Path>) leftovers.filter(p -> p.getFileName().toString()
                    .startsWith(output.getFileName().toString()))::iterator) {
                Files.deleteIfExists(leftover);
            }
        } catch (IOException e) {
            log.debug("Could not remove what the worker AOT training run left in {}: {}", output.getParent(), e.toString());
        }
    }

    /** Ends a training run still going (the pool is stopping): no process outlives the server. */
    void stopTraining() {
        Process process = trainingRun;
        if (process != null && process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    private static boolean classpathHasOnlyJars(List<String> command) {
        int cp = command.indexOf("-cp");
        if (cp < 0 || cp + 1 >= command.size()) {
            return false;
        }
        for (String entry : command.get(cp + 1).split(java.io.File.pathSeparator)) {
            if (!entry.endsWith(".jar") || !Files.isRegularFile(Path.of(entry))) {
                return false;
            }
        }
        return true;
    }

    private static List<Path> classpath(List<String> command) {
        return java.util.Arrays.stream(command.get(command.indexOf("-cp") + 1).split(java.io.File.pathSeparator)).map(Path::of).toList();
    }

    /** Size and modification time of each jar, to notice one replaced while the server runs. */
    private static List<String> stamps(List<Path> jars) {
        List<String> stamps = new ArrayList<>(jars.size());
        for (Path jar : jars) {
            try {
                stamps.add(Files.size(jar) + "@" + Files.getLastModifiedTime(jar).toMillis());
            } catch (IOException e) {
                stamps.add("unreadable");
            }
        }
        return stamps;
    }

    /**
     * Names the cache after the command and the contents of its jars: a plugin jar upgraded under
     * the same file name (its size or modification time may even be kept, as image builds do) is
     * another cache, made afresh, not the old classes.
     */
    private static String digest(List<String> command, List<Path> jars) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(String.join("\u0000", command).getBytes(StandardCharsets.UTF_8));
            byte[] buffer = new byte[64 * 1024];
            for (Path jar : jars) {
                try (var in = Files.newInputStream(jar)) {
                    for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
                        digest.update(buffer, 0, read);
                    }
                } catch (IOException e) {
                    digest.update(("unreadable " + jar).getBytes(StandardCharsets.UTF_8));
                }
            }
            return HexFormat.of().formatHex(digest.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
