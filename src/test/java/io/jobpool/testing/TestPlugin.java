package io.jobpool.testing;

import io.jobpool.spi.Task;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/**
 * Makes a plugin jar of test tasks, as a user installs one in {@code pool.plugins-dir}: the
 * workers' class path holds jobpool's main classes only, not the test classes.
 */
public final class TestPlugin {

    private TestPlugin() {}

    /** Writes {@code test-tasks.jar} with {@code tasks} and their service registration into {@code directory}. */
    @SafeVarargs
    public static Path jar(Path directory, Class<? extends Task>... tasks) {
        Path jar = directory.resolve("test-tasks.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            StringBuilder services = new StringBuilder();
            for (Class<? extends Task> task : tasks) {
                String entry = task.getName().replace('.', '/') + ".class";
                out.putNextEntry(new JarEntry(entry));
                try (InputStream bytes = task.getClassLoader().getResourceAsStream(entry)) {
                    bytes.transferTo(out);
                }
                out.closeEntry();
                services.append(task.getName()).append('\n');
            }
            out.putNextEntry(new JarEntry("META-INF/services/" + Task.class.getName()));
            out.write(services.toString().getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return jar;
    }
}
