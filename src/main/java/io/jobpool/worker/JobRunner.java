package io.jobpool.worker;

import io.jobpool.protocol.Message;
import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import tools.jackson.databind.JsonNode;

/** Runs one job at a time and turns its outcome into exactly one result frame. */
final class JobRunner {

    private final TaskRegistry registry;
    private final ProtocolChannel channel;
    private final JobOutput output;
    private final long maxResultBytes;
    private final ChunkRunner chunks;
    private final ProgressReports progress;

    JobRunner(TaskRegistry registry, ProtocolChannel channel, JobOutput output, long maxResultBytes) {
        this.registry = registry;
        this.channel = channel;
        this.output = output;
        this.maxResultBytes = maxResultBytes;
        this.chunks = new ChunkRunner(maxResultBytes);
        this.progress = new ProgressReports(channel);
    }

    void run(Message.Run job) {
        java.util.Set<Thread> before = LeftoverThreads.snapshot();
        output.begin(job.jobId());
        progress.begin(job.jobId());
        Message.ToServer outcome;
        try {
            outcome = execute(job);
        } catch (Throwable failure) {
            outcome = failed(job.jobId(), failure);
        } finally {
            // The last progress report and what the task printed go before the result, so the
            // finished job shows both complete.
            progress.end();
            output.end(job.jobId());
        }
        String leftover = LeftoverThreads.since(before);
        if (leftover != null) {
            // Ahead of the outcome, so the pool never hands this worker another job.
            channel.send(new Message.Retiring(job.jobId(), "its task left " + leftover + " running"));
        }
        channel.send(outcome);
    }

    /** Runs a task outside any job: the pool initializer. Throws what the task throws. */
    void runInitializer(String task, String args) throws Exception {
        Task initializer = registry.find(task)
                .orElseThrow(() -> new IllegalStateException("initializer task '" + task + "' is not registered"));
        initializer.run(new TaskArguments(WorkerJson.read(args == null ? "[]" : args), null),
                new Context("initializer", 1));
    }

    private Message.ToServer execute(Message.Run job) throws Exception {
        Task task = registry.find(job.task()).orElse(null);
        if (task == null) {
            return new Message.Failed(job.jobId(), "UnknownTaskError",
                    "no task named '" + job.task() + "' is registered in this worker", null);
        }
        if (job.chunk()) {
            return chunks.run(task, job, new Context(job.jobId(), job.attempt()));
        }
        JsonNode args = WorkerJson.read(job.args() == null ? "[]" : job.args());
        JsonNode kwargs = WorkerJson.read(job.kwargs() == null ? "{}" : job.kwargs());
        Object value = task.run(new TaskArguments(args, kwargs), new Context(job.jobId(), job.attempt()));
        byte[] result;
        try {
            result = WorkerJson.write(WorkerJson.tree(value));
        } catch (WorkerJson.NotJsonException e) {
            return new Message.Failed(job.jobId(), WorkerJson.NotJsonException.TYPE, e.getMessage(), null);
        }
        if (result.length > maxResultBytes) {
            return new Message.Failed(job.jobId(), "ResultTooLargeError",
                    "result is " + result.length + " bytes; the limit is " + maxResultBytes
                            + " (jobpool.jobs.max-result-bytes)", null);
        }
        return new Message.Succeeded(job.jobId(), new String(result, StandardCharsets.UTF_8));
    }

    private static Message.Failed failed(String jobId, Throwable failure) {
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        return new Message.Failed(jobId, failure.getClass().getName(), failure.getMessage(), trace.toString());
    }

    private final class Context implements TaskContext {
        private final String jobId;
        private final int attempt;

        Context(String jobId, int attempt) {
            this.jobId = jobId;
            this.attempt = attempt;
        }

        @Override
        public String jobId() {
            return jobId;
        }

        @Override
        public int attempt() {
            return attempt;
        }

        @Override
        public void progress(double fraction, String message) {
            progress.report(jobId, fraction, message);
        }

        @Override
        public void log(String line) {
            System.out.println(line);
        }
    }
}
