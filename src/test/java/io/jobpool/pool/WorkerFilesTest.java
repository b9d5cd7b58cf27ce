package io.jobpool.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a server keeps and deletes in the directory its workers start from. */
class WorkerFilesTest {

    @TempDir
    Path directory;

    private final Instant now = Instant.parse("2026-11-30T12:00:00Z");

    @Test
    void deletesOtherBuildsFilesUnusedForADayAndKeepsItsOwnAndRecentOnes() throws IOException {
        Path ours = build("ours", 720);
        Path ourCache = file("worker-ours.aot", 720);
        Path ourPython = Files.createDirectories(directory.resolve("python-ours"));
        Files.writeString(ourPython.resolve("jobpool_worker.py"), "");
        age(ourPython, 720);
        Path oldBuild = build("old", 200);
        Path oldCache = file("worker-old.aot", 30);
        Path leftover = file(".training123.aot", 25);
        Path recentBuild = build("recent", 20);
        Path recentCache = file("worker-recent.aot", 2);

        WorkerFiles files = new WorkerFiles(directory, List.of(ours.resolve("classes.jar"), ours.resolve("lib").resolve("a.jar"),
                ourCache, ourPython.resolve("jobpool_worker.py"), Path.of("/usr/lib/jvm/some.jar")));
        files.markUsed(now);
        assertThat(files.deleteUnused(now)).isEqualTo(3);

        assertThat(oldBuild).doesNotExist();
        assertThat(oldCache).doesNotExist();
        assertThat(leftover).doesNotExist();
        assertThat(List.of(ours.resolve("lib").resolve("a.jar"), ourCache, ourPython, recentBuild, recentCache))
                .allSatisfy(path -> assertThat(path).exists());
        // Marked as used now: another server that looks almost a day from now does not delete them.
        assertThat(Files.getLastModifiedTime(ours).toInstant()).isEqualTo(now);
        assertThat(Files.getLastModifiedTime(ourCache).toInstant()).isEqualTo(now);
        WorkerFiles other = new WorkerFiles(directory, List.of());
        assertThat(other.deleteUnused(now.plus(WorkerFiles.UNUSED_FOR).minusSeconds(60))).isEqualTo(2);
        assertThat(recentBuild).doesNotExist();
        assertThat(recentCache).doesNotExist();
        assertThat(List.of(ours, ourCache, ourPython)).allSatisfy(path -> assertThat(path).exists());
    }

    @Test
    void aCacheNotMadeYetAndAMissingDirectoryAreNoError() {
        WorkerFiles files = new WorkerFiles(directory.resolve("absent"), List.of(directory.resolve("absent").resolve("worker-x.aot")));
        files.markUsed(now);
        assertThat(files.deleteUnused(now)).isZero();
        WorkerFiles notMade = new WorkerFiles(directory, List.of(directory.resolve("worker-not-made.aot")));
        notMade.markUsed(now);
        assertThat(notMade.deleteUnused(now)).isZero();
        assertThat(directory.resolve("worker-not-made.aot")).doesNotExist();
    }

    /** A build's extracted class path: a directory with a jar and a lib directory, last marked {@code hours} ago. */
    private Path build(String name, int hours) throws IOException {
        Path build = Files.createDirectories(directory.resolve(name).resolve("lib"));
        Files.writeString(build.resolve("a.jar"), "jar");
        Files.writeString(build.getParent().resolve("classes.jar"), "jar");
        age(build.getParent(), hours);
        return build.getParent();
    }

    private Path file(String name, int hours) throws IOException {
        Path file = Files.writeString(directory.resolve(name), "cache");
        age(file, hours);
        return file;
    }

    private void age(Path path, int hours) throws IOException {
        Files.setLastModifiedTime(path, FileTime.from(now.minus(Duration.ofHours(hours))));
    }
}
