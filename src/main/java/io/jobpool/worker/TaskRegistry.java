package io.jobpool.worker;

import io.jobpool.protocol.Message;
import io.jobpool.spi.Task;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The tasks this worker can run, found with {@link ServiceLoader} on its class path. */
final class TaskRegistry {

    private final Map<String, Task> tasks;

    private TaskRegistry(Map<String, Task> tasks) {
        this.tasks = tasks;
    }

    /**
     * Loads every task; fails (and so fails the boot) on two tasks with one name, because which one
     * ran would depend on class path order.
     */
    static TaskRegistry load(boolean diagnostics) {
        // Sorted by name, which is the catalogue's order.
        Map<String, Task> found = new TreeMap<>();
        for (Task task : ServiceLoader.load(Task.class)) {
            if (task.diagnostic() && !diagnostics) {
                continue;
            }
            Task previous = found.putIfAbsent(task.name(), task);
            if (previous != null) {
                throw new IllegalStateException("task name '" + task.name() + "' is registered twice: by "
                        + previous.getClass().getName() + " and " + task.getClass().getName());
            }
        }
        return new TaskRegistry(Collections.unmodifiableMap(found));
    }

    Optional<Task> find(String name) {
        return Optional.ofNullable(tasks.get(name));
    }

    /**
     * Every task with its description, by name. A plain loop: a comparator built from lambdas
     * here made the JVM generate classes at boot, which the AOT cache does not keep.
     */
    List<Message.TaskInfo> catalogue() {
        List<Message.TaskInfo> catalogue = new ArrayList<>(tasks.size());
        for (Task task : tasks.values()) {
            catalogue.add(new Message.TaskInfo(task.name(), task.description()));
        }
        return List.copyOf(catalogue);
    }
}
