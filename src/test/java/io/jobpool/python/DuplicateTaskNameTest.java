package io.jobpool.python;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jobpool.JobpoolApplication;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;

/** Tests that one task name in both runtimes stops the service at start, naming the task. */
class DuplicateTaskNameTest {

    @TempDir
    Path directory;

    @Test
    void aPythonTaskNamedLikeAJavaTaskIsAStartupError() throws Exception {
        Path tasks = Files.createDirectories(directory.resolve("tasks"));
        Files.writeString(tasks.resolve("clash.py"), """
                from jobpool_task import task

                @task
                def square(x):
                    return x * x
                """);
        SpringApplicationBuilder application = new SpringApplicationBuilder(JobpoolApplication.class).properties(
                "server.port=0", "management.server.port=0", "jobpool.pool.size=1", "jobpool.python.pool.size=1",
                "jobpool.data-dir=" + directory.resolve("data"), "jobpool.python.tasks-dir=" + tasks);
        assertThatThrownBy(() -> application.run().close())
                .rootCause()
                .hasMessageContaining("registered by more than one runtime")
                .hasMessageContaining("square=[java, python]");
    }
}
