package io.jobpool.tasks;

import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;

/** Sleeps for {@code seconds} (a float), saying so in the job's log, and returns the seconds slept. */
public final class Sleep implements Task {
    @Override
    public String name() {
        return "sleep";
    }

    @Override
    public String description() {
        return "Sleeps for 'seconds' (float) and returns it.";
    }

    @Override
    public Object run(TaskArguments arguments, TaskContext context) throws InterruptedException {
        arguments.onlyParameters("sleep", "seconds");
        double seconds = arguments.number(0, "seconds").asDouble();
        if (seconds < 0) {
            throw new IllegalArgumentException("seconds must not be negative, got " + seconds);
        }
        context.log("sleeping for " + seconds + " s");
        Thread.sleep(java.time.Duration.ofNanos((long) (seconds * 1_000_000_000L)));
        return seconds;
    }
}
