package io.jobpool.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jobpool.protocol.FrameCodec;
import io.jobpool.protocol.Message;
import io.jobpool.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tests for {@link AotCache}: a training run really makes a cache, and a worker really boots from it. */
class AotCacheTest {

    @TempDir
    Path dir;

    /**
     * The worker used to kill, while exiting, the child JVM that assembles the cache (its frame
     * reader and its main loop both ended it, and the second tree kill found the child: "Child
     * process failed; status = 143"). That was seen about once in five training runs by hand on a
     * loaded machine, so this guards the cache being made and used rather than proving the race gone.
     */
    @Test
    void trainingMakesACacheThatAWorkerBootsFrom() throws Exception {
        List<String> classpath = jarClasspath();
        List<String> command = new ArrayList<>(List.of(WorkerLauncher.currentJava(), "-Xmx64m", "-XX:+UseSerialGC",
                "-Xlog:disable", "-Xlog:all=warning:stderr", "-cp", String.join(java.io.File.pathSeparator, classpath),
                "io.jobpool.worker.WorkerMain"));
        AotCache cache = new AotCache(dir.resolve("cache"), command);
        assertThat(cache.options()).isEmpty();
        cache.trainInBackground(command, WorkerLauncher.scrub(System.getenv(), List.of()));
        Await.until("the training run made a cache", Duration.ofMinutes(2), () -> !cache.options().isEmpty());
        assertThat(cache.options()).hasSize(1);
        try (Stream<Path> leftovers = Files.list(dir.resolve("cache"))) {
            assertThat(leftovers.map(p -> p.getFileName().toString())).noneMatch(name -> name.startsWith(".training"));
        }

        // AOTMode=on makes the JVM refuse to start when it cannot use the cache (a stale one,
        // options that do not match the training run's), rather than quietly booting without.
        List<String> worker = new ArrayList<>(command);
        worker.addAll(1, cache.options());
        worker.add(1, "-XX:AOTMode=on");
        Process process = new ProcessBuilder(worker).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            var out = FrameCodec.output(process.getOutputStream());
            FrameCodec.write(out, new Message.Init(false, null, "[]", 1_000));
            var in = FrameCodec.input(process.getInputStream());
            assertThat(FrameCodec.read(in)).isInstanceOf(Message.Ready.class);
            FrameCodec.write(out, new Message.Run("j", "square", "[7]", "{}", 1));
            assertThat(FrameCodec.read(in)).isEqualTo(new Message.Succeeded("j", "49"));
            FrameCodec.write(out, new Message.Shutdown());
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isZero();
        } finally {
            process.destroyForcibly();
        }
    }

    /**
     * With a 2 MB initial heap the JVM cannot load the cache's archived objects and exits at boot
     * ("Unable to use AOT cache"): kept, that cache made every worker fail to start, forever.
     */
    @Test
    void aCacheNoWorkerCanBootFromIsNotKept() throws Exception {
        List<String> command = new ArrayList<>(List.of(WorkerLauncher.currentJava(), "-Xmx64m", "-Xms2m", "-XX:+UseSerialGC",
                "-Xlog:disable", "-Xlog:all=warning:stderr", "-cp", String.join(java.io.File.pathSeparator, jarClasspath()),
                "io.jobpool.worker.WorkerMain"));
        AotCache cache = new AotCache(dir.resolve("cache"), command);

        assertThatThrownBy(() -> cache.train(command, WorkerLauncher.scrub(System.getenv(), List.of())))
                .isInstanceOf(IOException.class).hasMessageContaining("a worker started from the new cache exited with");

        assertThat(cache.options()).isEmpty();
        try (Stream<Path> left = Files.list(dir.resolve("cache"))) {
            assertThat(left).isEmpty();
        }
    }

    /** A killed training run could leave an empty file in the cache's place, and every worker then warned at boot. */
    @Test
    void anEmptyCacheFileIsNotUsed() throws Exception {
        AotCache cache = new AotCache(dir.resolve("cache"), List.of("java", "-cp", String.join(java.io.File.pathSeparator, jarClasspath()),
                "io.jobpool.worker.WorkerMain"));
        Files.createDirectories(cache.file().getParent());
        Files.createFile(cache.file());
        assertThat(cache.options()).isEmpty();
        Files.write(cache.file(), new byte[] {1});
        assertThat(cache.options()).containsExactly("-XX:AOTCache=" + cache.file());
    }

    /**
     * A plugin jar upgraded under the same name kept running its old classes from the cache. The
     * cache is named after the jars' contents, even when the new jar keeps the old one's size and
     * modification time (as image builds do), and one changed while the server runs stops its use.
     */
    @Test
    void aJarWithOtherContentsGetsAnotherCacheAndOneChangedWhileRunningIsNotServedFromTheOld() throws Exception {
        Path jar = dir.resolve("plugin.jar");
        Files.write(jar, new byte[] {1, 2, 3});
        var mtime = Files.getLastModifiedTime(jar);
        List<String> command = List.of("java", "-cp", jar.toString(), "io.jobpool.worker.WorkerMain");
        AotCache before = new AotCache(dir.resolve("cache"), command);
        Files.createDirectories(before.file().getParent());
        Files.write(before.file(), new byte[] {1});
        assertThat(before.options()).containsExactly("-XX:AOTCache=" + before.file());

        Files.write(jar, new byte[] {3, 2, 1});
        Files.setLastModifiedTime(jar, mtime);
        assertThat(new AotCache(dir.resolve("cache"), command).file()).isNotEqualTo(before.file());

        Files.write(jar, new byte[] {3, 2, 1, 0});
        assertThat(before.options()).as("the jar changed under a running server").isEmpty();
    }

    /**
     * A training run that ends without a cache (killed while the JVM assembled it, when the server
     * stopped) used to leave the JVM's {@code <output>.config} beside the cache, one per start.
     * Here the "JVM" is a script that writes that file and fails.
     */
    @Test
    void aTrainingRunThatMakesNoCacheLeavesNothingBehind() throws Exception {
        Path jar = Files.createFile(dir.resolve("empty.jar"));
        Path fakeJava = dir.resolve("fake-java");
        Files.writeString(fakeJava, """
                #!/bin/sh
                # $1 is -XX:AOTCacheOutput=<output>: leave the class list a real JVM writes, then fail.
                touch "${1#-XX:AOTCacheOutput=}.config"
                touch "%s"
                exit 1
                """.formatted(dir.resolve("ran")));
        assertThat(fakeJava.toFile().setExecutable(true)).isTrue();
        List<String> command = List.of(fakeJava.toString(), "-cp", jar.toString(), "io.jobpool.worker.WorkerMain");
        Path cacheDir = dir.resolve("failing");
        AotCache cache = new AotCache(cacheDir, command);

        cache.trainInBackground(command, WorkerLauncher.scrub(System.getenv(), List.of()));

        Await.until("the training run ran", Duration.ofSeconds(30), () -> Files.exists(dir.resolve("ran")));
        Await.until("the failed training run's files are gone", Duration.ofSeconds(30), () -> {
            try (Stream<Path> files = Files.list(cacheDir)) {
                return files.findAny().isEmpty();
            } catch (IOException notCreatedYet) {
                return false;
            }
        });
        assertThat(cache.options()).isEmpty();
    }

    /** The worker class path as jars: a cache is made only from jars, and tests run from directories. */
    /** The worker's class path as the server resolves it: jars only, the classes directory packed into one. */
    private List<String> jarClasspath() {
        return WorkerClasspath.asStrings(WorkerClasspath.resolve(dir.resolve("extracted"), null));
    }
}
