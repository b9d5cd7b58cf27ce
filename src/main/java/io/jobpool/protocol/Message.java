package io.jobpool.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/**
 * Everything server and worker say to each other. One message is one frame.
 *
 * <p>Messages are small: arguments and results travel as raw JSON text so the server never has to
 * parse what it only stores.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
    @JsonSubTypes.Type(value = Message.Init.class, name = "init"),
    @JsonSubTypes.Type(value = Message.Run.class, name = "run"),
    @JsonSubTypes.Type(value = Message.Shutdown.class, name = "shutdown"),
    @JsonSubTypes.Type(value = Message.Ready.class, name = "ready"),
    @JsonSubTypes.Type(value = Message.Output.class, name = "output"),
    @JsonSubTypes.Type(value = Message.Progress.class, name = "progress"),
    @JsonSubTypes.Type(value = Message.Succeeded.class, name = "succeeded"),
    @JsonSubTypes.Type(value = Message.Failed.class, name = "failed")
})
public sealed interface Message {

    /** Messages the server sends to a worker. */
    sealed interface ToWorker extends Message {}

    /** Messages a worker sends to the server. */
    sealed interface ToServer extends Message {}

    /**
     * First frame to a new worker: which tasks to register and the pool initializer to run once
     * before taking jobs ({@code Pool(initializer, initargs)}), and the token its output marks
     * carry ({@link OutputMarks}; {@code null} where the worker does not mark its output).
     */
    record Init(boolean diagnostics, String initializer, String initializerArgs, long maxResultBytes, String outputToken)
            implements ToWorker {

        public Init(boolean diagnostics, String initializer, String initializerArgs, long maxResultBytes) {
            this(diagnostics, initializer, initializerArgs, maxResultBytes, null);
        }

        /** This init for one worker, whose output marks carry {@code token}. */
        public Init withOutputToken(String token) {
            return new Init(diagnostics, initializer, initializerArgs, maxResultBytes, token);
        }
    }

    /**
     * Run one job. {@code args} and {@code kwargs} are JSON text.
     *
     * <p>With {@code chunk} set the job is a chunk of a batch ({@code Pool.map} with a chunksize):
     * {@code args} is a JSON array of argument arrays, one per item, and the answer is one
     * {@link Succeeded} whose result is, when every item returned on its first attempt, their
     * values {@code {"results": [value, ...]}}; otherwise an array of per-item outcomes,
     * {@code {"result": value}} or {@code {"error": {"type", "message", "trace"}}}, in item order,
     * with {@code "attempts"} when an item ran more than once. {@code previous} holds the outcomes of the chunk's last attempt
     * (or {@code null}): items that succeeded then are not run again.
     */
    record Run(String jobId, String task, String args, String kwargs, int attempt, boolean chunk, String previous)
            implements ToWorker {

        /** A single job, not a chunk. */
        public Run(String jobId, String task, String args, String kwargs, int attempt) {
            this(jobId, task, args, kwargs, attempt, false, null);
        }
    }

    /** Finish the current job, if any, then exit with status 0. */
    record Shutdown() implements ToWorker {}

    /** The worker booted, ran the initializer and waits for jobs; carries its task catalogue. */
    record Ready(long pid, List<TaskInfo> tasks) implements ToServer {}

    /** Text the running task wrote to stdout or stderr. */
    record Output(String jobId, String text) implements ToServer {}

    /** Progress reported by the running task. */
    record Progress(String jobId, double fraction, String message) implements ToServer {}

    /** The job returned; {@code result} is JSON text. */
    record Succeeded(String jobId, String result) implements ToServer {}

    /** The job threw; {@code type} is the exception class or a jobpool error name. */
    record Failed(String jobId, String type, String message, String trace) implements ToServer {}

    /**
     * Sent before the outcome of {@code jobId}: the worker must not run another job (its task left
     * threads running, which would write into the next job's log); {@code reason} says why.
     */
    record Retiring(String jobId, String reason) implements ToServer {}

    /** A registered task as the worker sees it. */
    record TaskInfo(String name, String description) {}
}
