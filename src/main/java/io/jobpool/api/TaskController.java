package io.jobpool.api;

import io.jobpool.job.LocalNode;
import io.jobpool.protocol.Message;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /v1/tasks}: the tasks the workers registered (the server itself loads no task code). */
@RestController
class TaskController {

    private final LocalNode node;

    TaskController(LocalNode node) {
        this.node = node;
    }

    @GetMapping("/v1/tasks")
    TaskList tasks() {
        return new TaskList(node.catalogue());
    }

    /** The task catalogue. */
    record TaskList(List<Message.TaskInfo> tasks) {}
}
