package io.jobpool.pool;

import io.jobpool.process.ProcessTree;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Starts the worker processes of one runtime. {@link WorkerPool} supervises whatever a launcher
 * starts the same way: the process speaks the frames of {@code io.jobpool.protocol} on its stdin and
 * stdout and exits with the statuses of {@code ExitCodes}.
 */
public interface ProcessLauncher {

    /** The runtime the workers run tasks in: {@code java} or {@code python}; a metric and API label. */
    String runtime();

    /** Start of the ids of this runtime's workers ({@code w-1}, {@code py-1}), unique across pools. */
    default String workerIdPrefix() {
        return "w-";
    }

    /**
     * Starts one worker process with a scrubbed environment, leading a session of its own and
     * carrying {@code marker} as {@link ProcessTree#MARKER_VARIABLE}, so that a kill can find
     * everything its tasks started (see {@link ProcessTree}).
     */
    Process launch(String marker) throws IOException;

    /** The files this launcher's workers start from (see {@link WorkerFiles}). */
    default List<Path> files() {
        return List.of();
    }

    /**
     * Whether the workers' stderr carries what a running job's processes write to descriptors 1
     * and 2, up to the job's {@link io.jobpool.protocol.OutputMarks mark}: the pool reads it into
     * the job's log and holds the job's result until its mark has been read. Otherwise stderr is
     * the worker's own messages, logged by the server.
     */
    default boolean outputOnStderr() {
        return false;
    }

    /** Starts optional background work that makes later launches faster. */
    default void prepareFastStart() {}

    /** Stops background work of the launcher. */
    default void close() {}
}
