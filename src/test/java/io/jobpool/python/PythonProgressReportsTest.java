package io.jobpool.python;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Tests for the Python worker's {@code ProgressReports}, run by a real {@code python3} on the
 * runtime's own module: a task reporting in a tight loop sends a few frames, not one per call, and
 * the last report is among them; a report held back goes out on its own while the task works on.
 */
class PythonProgressReportsTest {

    private static final Path RUNTIME = Path.of("src/main/resources/jobpool-python").toAbsolutePath();

    @Test
    void aTightLoopBecomesAFewFramesEndingWithTheLastReportAndAHeldBackReportGoesOutAlone() throws Exception {
        String script = """
                import threading, time, jobpool_worker
                class Pipe:
                    def __init__(self):
                        self.frames = []
                        self.sent = threading.Event()
                    def send(self, frame):
                        self.frames.append(frame)
                        self.sent.set()
                pipe = Pipe()
                reports = jobpool_worker.ProgressReports(pipe)
                reports.begin("job-1")
                start = time.monotonic()
                for i in range(1, 100001):
                    reports.report("job-1", i / 100000, "%d of 100000" % i)
                reports.end()
                elapsed = time.monotonic() - start
                reports.report("job-1", 1.0, "after its outcome")
                print("flood", len(pipe.frames), int(elapsed / reports.INTERVAL) + 2, pipe.frames[0]["message"], pipe.frames[-1]["message"])
                pipe.frames.clear()
                reports.begin("job-2")
                reports.report("job-2", 0.1, "started")
                pipe.sent.clear()
                reports.report("job-2", 0.5, "halfway")
                pipe.sent.wait(10)
                print("alone", len(pipe.frames), pipe.frames[-1]["message"])
                """;
        ProcessBuilder builder = new ProcessBuilder("python3", "-c", script).redirectErrorStream(true);
        builder.environment().put("PYTHONPATH", RUNTIME.toString());
        Process python = builder.start();
        python.getOutputStream().close();
        assertThat(python.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(python.exitValue()).as(out).isZero();

        String[] flood = out.lines().filter(line -> line.startsWith("flood ")).findFirst().orElseThrow().split(" ");
        int frames = Integer.parseInt(flood[1]);
        int bound = Integer.parseInt(flood[2]);
        assertThat(frames).as("at most one frame per interval after the first, plus the last").isBetween(2, bound);
        assertThat(String.join(" ", java.util.Arrays.copyOfRange(flood, 3, flood.length)))
                .isEqualTo("1 of 100000 100000 of 100000");
        assertThat(out).contains("alone 2 halfway");
    }
}
