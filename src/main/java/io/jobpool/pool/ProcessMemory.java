package io.jobpool.pool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory of a process, read from {@code /proc} on Linux; unknown elsewhere. */
public final class ProcessMemory {

    private ProcessMemory() {}

    /** Resident set size in bytes, or {@code null} when it cannot be read. */
    public static Long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // The process may have exited between listing and reading, or this is not Linux.
        }
        return null;
    }
}
