package io.jobpool.pool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files worker processes start from, in one directory under the system's temporary directory:
 * the class path extracted from the server's jar (a directory per build), the Java workers' AOT
 * caches (one per class path and options, about 25 MB each) and the Python runtime (a directory per
 * version). Each build of the server makes its own and none removed them, so a machine that had run
 * many builds held gigabytes there.
 *
 * <p>A server marks what its workers use as used (its modification time) when it starts and then
 * every hour, and deletes what no server has used for {@link #UNUSED_FOR}. A server that still runs
 * keeps its own files marked, so another server on the same machine never deletes them.
 */
public final class WorkerFiles {

    /** Where the files live: shared by every server of this machine and user. */
    public static final Path DIRECTORY = Path.of(System.getProperty("java.io.tmpdir"), "jobpool-worker");

    /**
     * How long an entry nobody marked stays. A running server marks its own every hour; a server
     * started again after longer extracts its class path again (a second) and retrains its AOT
     * cache in the background (workers start without it meanwhile).
     */
    public static final Duration UNUSED_FOR = Duration.ofDays(1);

    private static final Logger log = LoggerFactory.getLogger(WorkerFiles.class);

    private final Path directory;
    private final Set<Path> used;

    /** @param used files the workers of this server start from; those outside {@code directory} are not its business */
    public WorkerFiles(Path directory, Collection<Path> used) {
        this.directory = directory.toAbsolutePath().normalize();
        Set<Path> entries = new HashSet<>();
        for (Path path : used) {
            Path absolute = path.toAbsolutePath().normalize();
            if (absolute.startsWith(this.directory) && !absolute.equals(this.directory)) {
                entries.add(this.directory.resolve(this.directory.relativize(absolute).getName(0)));
            }
        }
        this.used = Set.copyOf(entries);
    }

    /** Marks this server's entries used at {@code now}: before its workers start, and then every hour. */
    public void markUsed(Instant now) {
        if (!Files.isDirectory(directory)) {
            return;
        }
        FileTime marked = FileTime.from(now);
        for (Path entry : used) {
            try {
                if (Files.exists(entry)) {
                    Files.setLastModifiedTime(entry, marked);
                }
            } catch (IOException e) {
                log.warn("Could not mark {} as used by this server's workers; another server may delete it after {} hours: {}",
                        entry, UNUSED_FOR.toHours(), e.toString());
            }
        }
    }

    /** Deletes the entries that are not this server's and that nobody marked since {@code now - UNUSED_FOR}; answers how many. */
    public int deleteUnused(Instant now) {
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        Instant unusedSince = now.minus(UNUSED_FOR);
        int deleted = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                if (used.contains(entry) || !unusedSince(entry, unusedSince)) {
                    continue;
                }
                try {
                    deleteRecursively(entry);
                    deleted++;
                } catch (IOException | UncheckedIOException e) {
                    log.warn("Could not delete {}, which no jobpool server used for {} hours: {}", entry, UNUSED_FOR.toHours(),
                            e.toString());
                }
            }
        } catch (IOException e) {
            log.warn("Could not list {} to delete worker files no server uses: {}", directory, e.toString());
        }
        if (deleted > 0) {
            log.info("Deleted {} worker file set(s) from {} that no jobpool server used for {} hours (other builds' class paths"
                    + " and AOT caches)", deleted, directory, UNUSED_FOR.toHours());
        }
        return deleted;
    }

    private static boolean unusedSince(Path entry, Instant since) {
        try {
            return Files.getLastModifiedTime(entry).toInstant().isBefore(since);
        } catch (IOException e) {
            return false; // gone already, or not ours to look at
        }
    }

    private static void deleteRecursively(Path entry) throws IOException {
        if (!Files.isDirectory(entry, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(entry);
            return;
        }
        Files.walkFileTree(entry, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                if (failure != null) {
                    throw failure;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
