package io.jobpool.spi;

/**
 * A named unit of work that runs inside a worker process.
 *
 * <p>Implementations are registered through {@link java.util.ServiceLoader} (a
 * {@code META-INF/services/io.jobpool.spi.Task} file in the plugin jar). The server never
 * instantiates them: only worker processes do, so a misbehaving task can only take its own worker
 * down.
 */
public interface Task {

    /** The name clients submit, for example {@code "square"}. Unique within a worker. */
    String name();

    /** One sentence shown by {@code GET /v1/tasks}. */
    default String description() {
        return "";
    }

    /**
     * Whether this task only exists to exercise failure paths; such tasks are registered only when
     * {@code jobpool.tasks.diagnostics=true}.
     */
    default boolean diagnostic() {
        return false;
    }

    /**
     * Runs the task.
     *
     * @return a value Jackson can serialise to JSON (a record, a map, a list, a number, a string,
     *     a {@code JsonNode} or {@code null})
     * @throws Exception any failure; its class, message and stack trace become the job's error
     */
    Object run(TaskArguments arguments, TaskContext context) throws Exception;
}
