package io.jobpool.pool;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * Finds the class path for worker processes: our own classes plus Jackson, and nothing of Spring.
 *
 * <p>Each entry is located from the code source of an anchor class, so it works the same from
 * {@code mvn spring-boot:run} (directories and jars in the local repository), from the extracted
 * layered layout a container uses (plain jars), and from {@code java -jar} on the fat jar. In the
 * last case the classes live inside the outer jar ({@code nested:} URLs) where a plain JVM cannot
 * read them, so they are extracted once into a cache directory keyed by the jar's identity. A
 * directory of classes ({@code target/classes} under {@code spring-boot:run} or an IDE) is packed
 * into a jar the same way, keyed by what it holds: a JDK AOT cache only accepts jars, and without
 * one every worker boots about twice as slowly.
 */
public final class WorkerClasspath {

    /** Classes whose jars or directories the worker needs. */
    private static final List<String> ANCHORS = List.of(
            "io.jobpool.worker.WorkerMain",
            "tools.jackson.databind.json.JsonMapper",
            "tools.jackson.core.JsonParser",
            "com.fasterxml.jackson.annotation.JsonTypeInfo");

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(WorkerClasspath.class);

    private WorkerClasspath() {}

    /**
     * @param cacheDir where nested entries of a fat jar are extracted
     * @param pluginsDir directory of plugin jars, or {@code null}
     */
    public static List<Path> resolve(Path cacheDir, Path pluginsDir) {
        Set<Path> entries = new LinkedHashSet<>();
        for (String anchor : ANCHORS) {
            entries.add(locate(anchor, cacheDir));
        }
        entries.addAll(pluginJars(pluginsDir));
        return List.copyOf(entries);
    }

    /**
     * The jars in {@code pluginsDir}. A directory that is not there, or a file that is no jar, is
     * said in the log: the JVM passes over both without a word, and the plugin's tasks were only
     * missing (422 unknown-task) with nothing to say why.
     */
    static List<Path> pluginJars(Path pluginsDir) {
        if (pluginsDir == null) {
            return List.of();
        }
        if (!Files.isDirectory(pluginsDir)) {
            log.warn("jobpool.pool.plugins-dir {} is not a directory (or does not exist): no plugin's tasks are loaded",
                    pluginsDir.toAbsolutePath());
            return List.of();
        }
        List<Path> jars;
        try (Stream<Path> files = Files.list(pluginsDir)) {
            jars = files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().map(Path::toAbsolutePath).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list plugins directory " + pluginsDir, e);
        }
        List<Path> readable = new java.util.ArrayList<>();
        for (Path jar : jars) {
            try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(jar.toFile())) {
                readable.add(jar);
            } catch (IOException e) {
                log.warn("Plugin {} is not a readable jar ({}); the workers load no task from it", jar, e.getMessage());
            }
        }
        if (readable.isEmpty()) {
            log.warn("jobpool.pool.plugins-dir {} holds no readable jar: no plugin's tasks are loaded", pluginsDir.toAbsolutePath());
        } else {
            log.info("Plugin jars on the workers' class path: {}", readable);
        }
        return readable;
    }

    private static Path locate(String className, Path cacheDir) {
        URL location;
        try {
            Class<?> anchor = Class.forName(className, false, WorkerClasspath.class.getClassLoader());
            location = anchor.getProtectionDomain().getCodeSource().getLocation();
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("worker dependency missing from the server: " + className, e);
        }
        String url = location.toString();
        if (url.startsWith("jar:")) {
            url = url.substring(4);
        }
        if (url.endsWith("!/")) {
            url = url.substring(0, url.length() - 2);
        }
        if (url.startsWith("nested:")) {
            return extractNested(url.substring("nested:".length()), cacheDir);
        }
        Path path;
        try {
            path = Path.of(new URI(url));
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot use " + url + " on the worker class path", e);
        }
        return Files.isDirectory(path) ? packDirectory(path, cacheDir) : path;
    }

    /**
     * Packs the files under {@code directory} into {@code cacheDir/<identity>/classes.jar}, where
     * the identity digests each file's name, size and modification time: a rebuild packs afresh,
     * an unchanged directory reuses the jar (and the AOT cache made for it).
     */
    static Path packDirectory(Path directory, Path cacheDir) {
        try {
            List<Path> files;
            try (Stream<Path> walk = Files.walk(directory)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
            StringBuilder key = new StringBuilder(directory.toAbsolutePath().toString());
            for (Path file : files) {
                key.append('\n').append(directory.relativize(file)).append(':').append(Files.size(file)).append(':')
                        .append(Files.getLastModifiedTime(file).toMillis());
            }
            Path target = cacheDir.resolve(digest(key.toString())).resolve("classes.jar");
            if (!Files.exists(target)) {
                writeJar(target, out -> {
                    for (Path file : files) {
                        out.putNextEntry(new JarEntry(jarName(directory.relativize(file))));
                        Files.copy(file, out);
                        out.closeEntry();
                    }
                });
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot pack " + directory + " into a jar for the workers", e);
        }
    }

    private static String jarName(Path relative) {
        return relative.toString().replace(java.io.File.separatorChar, '/');
    }

    /** {@code /app.jar/!BOOT-INF/lib/x.jar} or {@code /app.jar/!BOOT-INF/classes/}. */
    private static Path extractNested(String spec, Path cacheDir) {
        int separator = spec.indexOf("/!");
        Path outer = Path.of(java.net.URLDecoder.decode(spec.substring(0, separator), java.nio.charset.StandardCharsets.UTF_8));
        String entry = spec.substring(separator + 2);
        try {
            Path target = cacheDir.resolve(identity(outer));
            if (entry.endsWith("/")) {
                return repackDirectory(outer, entry, target.resolve("classes.jar"));
            }
            Path jar = target.resolve("lib").resolve(Path.of(entry).getFileName().toString());
            if (!Files.exists(jar)) {
                try (JarFile file = new JarFile(outer.toFile()); InputStream in = file.getInputStream(file.getEntry(entry))) {
                    copyAtomically(in, jar);
                }
            }
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + entry + " from " + outer, e);
        }
    }

    /**
     * Copies the entries under {@code prefix} (the application's classes) into a jar of their own:
     * class-data-sharing archives accept only jars on the class path, not directories.
     */
    private static Path repackDirectory(Path outer, String prefix, Path target) throws IOException {
        if (Files.exists(target)) {
            return target;
        }
        try (JarFile file = new JarFile(outer.toFile())) {
            writeJar(target, out -> {
                Enumeration<JarEntry> all = file.entries();
                while (all.hasMoreElements()) {
                    JarEntry entry = all.nextElement();
                    if (entry.isDirectory() || !entry.getName().startsWith(prefix)) {
                        continue;
                    }
                    out.putNextEntry(new JarEntry(entry.getName().substring(prefix.length())));
                    try (InputStream in = file.getInputStream(entry)) {
                        in.transferTo(out);
                    }
                    out.closeEntry();
                }
            });
        }
        return target;
    }

    private interface JarContent {
        void writeTo(JarOutputStream out) throws IOException;
    }

    /** Writes a jar beside {@code target} and moves it in place, so no worker ever sees half of one. */
    private static void writeJar(Path target, JarContent content) throws IOException {
        Files.createDirectories(target.getParent());
        Path temporary = Files.createTempFile(target.getParent(), ".repack", ".tmp");
        try {
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(temporary))) {
                content.writeTo(out);
            }
            putInPlace(temporary, target);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static void copyAtomically(InputStream in, Path destination) throws IOException {
        Files.createDirectories(destination.getParent());
        Path temporary = Files.createTempFile(destination.getParent(), ".extract", ".tmp");
        try {
            Files.copy(in, temporary, StandardCopyOption.REPLACE_EXISTING);
            putInPlace(temporary, destination);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * Puts a finished file at {@code target} unless one is there already: the directory is named
     * for the server's jar, so a file there has the same content. Servers started together from one
     * jar (replicas on one machine) each extract it; a rename would replace the file another server
     * had already stamped for its AOT cache, which then took the jar for changed and ran its
     * workers without the cache. A hard link is atomic and does not replace; where links are not
     * supported, an atomic rename.
     */
    static void putInPlace(Path temporary, Path target) throws IOException {
        try {
            Files.createLink(target, temporary);
        } catch (java.nio.file.FileAlreadyExistsException alreadyThere) {
            // Another server put the same file there first: theirs stays.
        } catch (UnsupportedOperationException | java.nio.file.FileSystemException noLinks) {
            if (!Files.exists(target)) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        }
    }

    /** A rebuilt jar gets a fresh directory, so stale classes are never used. */
    private static String identity(Path jar) throws IOException {
        return digest(jar.toAbsolutePath() + ":" + Files.size(jar) + ":" + Files.getLastModifiedTime(jar).toMillis());
    }

    private static String digest(String key) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> asStrings(List<Path> entries) {
        List<String> result = new ArrayList<>();
        entries.forEach(p -> result.add(p.toString()));
        return result;
    }
}
