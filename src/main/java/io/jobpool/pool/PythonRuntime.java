package io.jobpool.pool;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Python worker runtime shipped inside the server: {@code jobpool_worker.py} (the worker's
 * main) and {@code jobpool_task.py} (what task modules import). A plain {@code python3} cannot read
 * files inside the jar, so they are copied once into a cache directory named by their content,
 * like the Java worker's class path in {@link WorkerClasspath}; a new server version gets a new
 * directory and never runs stale files.
 */
public final class PythonRuntime {

    private static final String RESOURCE_DIR = "jobpool-python/";
    private static final List<String> FILES = List.of("jobpool_worker.py", "jobpool_task.py");

    private PythonRuntime() {}

    /** Extracts the runtime under {@code cacheDir} if needed; answers the worker script's path. */
    public static Path extract(Path cacheDir) {
        Map<String, byte[]> contents = new LinkedHashMap<>();
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String file : FILES) {
                byte[] bytes = read(RESOURCE_DIR + file);
                contents.put(file, bytes);
                digest.update(file.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                digest.update(bytes);
            }
            Path directory = cacheDir.resolve("python-" + HexFormat.of().formatHex(digest.digest(), 0, 8));
            Files.createDirectories(directory);
            for (Map.Entry<String, byte[]> file : contents.entrySet()) {
                Path target = directory.resolve(file.getKey());
                if (!Files.exists(target)) {
                    Path temporary = Files.createTempFile(directory, ".extract", ".tmp");
                    Files.write(temporary, file.getValue());
                    Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
            }
            return directory.resolve("jobpool_worker.py");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract the Python worker runtime into " + cacheDir, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] read(String resource) throws IOException {
        try (InputStream in = PythonRuntime.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("resource " + resource + " is missing from the server");
            }
            return in.readAllBytes();
        }
    }
}
