package io.jobpool.api;

import io.jobpool.node.NodeRuntime;
import io.jobpool.pool.Pools;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /v1/tasks}: the tasks the workers of each runtime registered (the server itself loads
 * no task code).
 */
@RestController
class TaskController {

    private final NodeRuntime node;

    TaskController(NodeRuntime node) {
        this.node = node;
    }

    // produces: an Accept such as application/problem+json is 406, not a task list labelled a problem.
    @GetMapping(value = "/v1/tasks", produces = MediaType.APPLICATION_JSON_VALUE)
    TaskList tasks() {
        return new TaskList(node.tasks());
    }

    /** The task catalogue: name, description and runtime ({@code java} or {@code python}). */
    record TaskList(List<Pools.RuntimeTask> tasks) {}
}
