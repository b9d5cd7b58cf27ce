package io.jobpool.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tests for {@link WorkerClasspath}: workers always start from jars, which an AOT cache can hold. */
class WorkerClasspathTest {

    @TempDir
    Path dir;

    @Test
    @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
    void aMissingPluginsDirectoryAndAFileThatIsNoJarAreSaidAndSkipped(org.springframework.boot.test.system.CapturedOutput output)
            throws Exception {
        assertThat(WorkerClasspath.pluginJars(dir.resolve("no-such-dir"))).isEmpty();
        assertThat(output.getAll()).contains("no-such-dir is not a directory (or does not exist)");

        Path plugins = Files.createDirectories(dir.resolve("plugins"));
        Files.write(plugins.resolve("broken.jar"), new byte[] {1, 2, 3, 4, 5});
        Path good = io.jobpool.testing.TestPlugin.jar(plugins, io.jobpool.testing.plugin.RawDescriptorOutput.class);
        assertThat(WorkerClasspath.pluginJars(plugins)).containsExactly(good.toAbsolutePath());
        assertThat(output.getAll()).contains("broken.jar is not a readable jar");
    }

    /** Here the worker's classes are in a directory (Maven's {@code target/classes}), as under {@code spring-boot:run}. */
    @Test
    void aDirectoryOfClassesReachesTheWorkersAsAJarHoldingItsTasks() throws Exception {
        List<Path> entries = WorkerClasspath.resolve(dir, null);

        assertThat(entries).allSatisfy(entry -> {
            assertThat(entry.toString()).endsWith(".jar");
            assertThat(entry).isRegularFile();
        });
        Path packed = entries.getFirst();
        assertThat(packed).startsWith(dir);
        try (JarFile jar = new JarFile(packed.toFile())) {
            assertThat(jar.getEntry("io/jobpool/worker/WorkerMain.class")).isNotNull();
            assertThat(jar.getEntry("META-INF/services/io.jobpool.spi.Task")).isNotNull();
        }
    }

    /**
     * Two servers started together from one jar each extract it: the second leaves the first's file
     * in place (a replaced file, same content but new, read as a changed jar and cost the first
     * server its workers' AOT cache).
     */
    @Test
    void aFileAnotherServerPutInPlaceFirstIsKept() throws Exception {
        Path target = dir.resolve("lib/x.jar");
        Files.createDirectories(target.getParent());
        Path first = Files.writeString(dir.resolve("lib/.extract-1.tmp"), "content");
        WorkerClasspath.putInPlace(first, target);
        Object identity = Files.readAttributes(target, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        Path second = Files.writeString(dir.resolve("lib/.extract-2.tmp"), "content");
        WorkerClasspath.putInPlace(second, target);

        assertThat(Files.readAttributes(target, java.nio.file.attribute.BasicFileAttributes.class).fileKey())
                .as("the same file, not a replacement").isEqualTo(identity);
        assertThat(Files.readString(target)).isEqualTo("content");
    }

    @Test
    void anUnchangedDirectoryReusesItsJarAndAChangedOneGetsANewJar() throws Exception {
        Path classes = Files.createDirectories(dir.resolve("classes/a/b"));
        Files.writeString(classes.resolve("One.class"), "one");
        Path cache = dir.resolve("cache");

        Path first = WorkerClasspath.packDirectory(dir.resolve("classes"), cache);
        FileTime packedAt = Files.getLastModifiedTime(first);
        Path again = WorkerClasspath.packDirectory(dir.resolve("classes"), cache);
        assertThat(again).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(again)).as("an AOT cache checks its jars' times").isEqualTo(packedAt);

        Files.writeString(classes.resolve("One.class"), "one, rebuilt");
        Files.setLastModifiedTime(classes.resolve("One.class"), FileTime.from(Instant.now().plusSeconds(5)));
        Path rebuilt = WorkerClasspath.packDirectory(dir.resolve("classes"), cache);
        assertThat(rebuilt).isNotEqualTo(first);
        try (JarFile jar = new JarFile(rebuilt.toFile())) {
            assertThat(new String(jar.getInputStream(jar.getEntry("a/b/One.class")).readAllBytes())).isEqualTo("one, rebuilt");
        }
        try (var left = Files.list(cache.resolve(first.getParent().getFileName()))) {
            assertThat(left.map(p -> p.getFileName().toString())).as("no half-written jar left").containsExactly("classes.jar");
        }
    }
}
