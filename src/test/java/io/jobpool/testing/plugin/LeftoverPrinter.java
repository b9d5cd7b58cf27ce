package io.jobpool.testing.plugin;

import io.jobpool.spi.Task;
import io.jobpool.spi.TaskArguments;
import io.jobpool.spi.TaskContext;

/** A test task that leaves a platform thread printing 'left-behind' every 20 ms for ten seconds. */
public final class LeftoverPrinter implements Task {

    @Override
    public String name() {
        return "test-leftover-printer";
    }

    @Override
    public String description() {
        return "Test: leaves a thread printing 'left-behind' every 20 ms for ten seconds.";
    }

    @Override
    public Object run(TaskArguments arguments, TaskContext context) {
        Thread.ofPlatform().name("left-behind-printer").daemon().start(() -> {
            for (int i = 0; i < 500; i++) {
                System.out.println("left-behind " + i);
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        return "started";
    }
}
