package io.jobpool.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.protocol.ExitCodes;
import io.jobpool.protocol.FrameCodec;
import io.jobpool.protocol.Message;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests for {@link PythonLauncher} and the Python worker it starts: a real {@code python3} process
 * speaking the Java side's frames ({@link FrameCodec}), and exiting with {@link ExitCodes}.
 */
class PythonLauncherTest {

    @TempDir
    Path tasks;

    private PythonLauncher launcher(long memoryLimit) {
        Path script = PythonRuntime.extract(Path.of("target", "worker-cache"));
        return new PythonLauncher("python3", script, tasks, memoryLimit,
                Map.of("PATH", System.getenv("PATH"), "JOBPOOL_WEBHOOKS_SECRET", "whsec_x", "TASK_REGION", "eu"),
                List.of("TASK_REGION"));
    }

    @Test
    void startsTheExtractedRuntimeWithAScrubbedEnvironment() {
        PythonLauncher launcher = launcher(64L << 20);
        assertThat(launcher.command()).contains("-B", "--tasks-dir", tasks.toAbsolutePath().toString(), "--memory-limit",
                Long.toString(64L << 20));
        assertThat(Path.of(launcher.command().get(2))).exists().hasFileName("jobpool_worker.py");
        assertThat(launcher.environment()).containsOnlyKeys("PATH", "TASK_REGION");
        assertThat(launcher.runtime()).isEqualTo("python");
    }

    @Test
    void theWorkerAnswersInitWithItsCatalogueRunsAJobAndExitsOnShutdown() throws Exception {
        Files.writeString(tasks.resolve("maths.py"), """
                from jobpool_task import task

                @task
                def cube(x):
                    \"\"\"Returns x**3.\"\"\"
                    print("cubing", x)
                    return x ** 3
                """);
        Process process = launcher(0).launch("python-launcher-test");
        try {
            DataOutputStream out = FrameCodec.output(process.getOutputStream());
            DataInputStream in = FrameCodec.input(process.getInputStream());
            FrameCodec.write(out, new Message.Init(false, null, "[]", 1024));
            Message.Ready ready = (Message.Ready) FrameCodec.read(in);
            assertThat(ready.pid()).isEqualTo(process.pid());
            assertThat(ready.tasks()).containsExactly(new Message.TaskInfo("cube", "Returns x**3."));

            FrameCodec.write(out, new Message.Run("job-1", "cube", "[3]", "{}", 1));
            assertThat(FrameCodec.read(in)).isEqualTo(new Message.Output("job-1", "cubing 3\n"));
            assertThat(FrameCodec.read(in)).isEqualTo(new Message.Succeeded("job-1", "27"));

            FrameCodec.write(out, new Message.Run("job-2", "nope", "[]", "{}", 1));
            assertThat(FrameCodec.read(in)).isInstanceOfSatisfying(Message.Failed.class,
                    failed -> assertThat(failed.type()).isEqualTo("UnknownTaskError"));

            FrameCodec.write(out, new Message.Shutdown());
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isEqualTo(ExitCodes.OK);
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void aModuleThatDoesNotImportIsABootFailure() throws Exception {
        Files.writeString(tasks.resolve("broken.py"), "def nope(:\n");
        Process process = launcher(0).launch("python-launcher-test");
        try {
            FrameCodec.write(FrameCodec.output(process.getOutputStream()), new Message.Init(false, null, "[]", 1024));
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isEqualTo(ExitCodes.BOOT_FAILURE);
            assertThat(new String(process.getErrorStream().readAllBytes())).contains("SyntaxError", "broken.py");
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void theWorkerExitsWhenTheServerClosesItsStdin() throws Exception {
        Process process = launcher(0).launch("python-launcher-test");
        try {
            process.getOutputStream().close();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isEqualTo(ExitCodes.OK);
        } finally {
            process.destroyForcibly();
        }
    }
}
