package io.jobpool.worker;

import io.jobpool.protocol.Message;
import io.jobpool.spi.Task;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

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
        Map<String, Task> found = new LinkedHashMap<>();
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
        return new TaskRegistry(Map.copyOf(found));
    }

    Optional<Task> find(String name) {
        return Optional.ofNullable(tasks.get(name));
    }

    List<Message.TaskInfo> catalogue() {
        return tasks.values().stream()
                .map(task -> new Message.TaskInfo(task.name(), task.description()))
                .sorted(java.util.Comparator.comparing(Message.TaskInfo::name))
                .toList();
    }
}
