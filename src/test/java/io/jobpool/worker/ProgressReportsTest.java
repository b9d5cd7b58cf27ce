package io.jobpool.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.protocol.FrameCodec;
import io.jobpool.protocol.Message;
import io.jobpool.testing.Await;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tests for {@link ProgressReports}: a task reporting in a tight loop costs the server a handful of
 * frames, none of its reports is stuck in the worker, and the last one always reaches the server
 * before the outcome.
 */
class ProgressReportsTest {

    private final ByteArrayOutputStream pipe = new ByteArrayOutputStream();
    private final ProgressReports reports = new ProgressReports(new ProtocolChannel(FrameCodec.output(pipe)));

    @Test
    void aTightLoopOfReportsBecomesAFewFramesEndingWithTheLastReport() {
        reports.begin("job-1");
        long start = System.nanoTime();
        for (int i = 1; i <= 100_000; i++) {
            reports.report("job-1", i / 100_000.0, i + " of 100000");
        }
        reports.end();
        long elapsedMillis = Duration.ofNanos(System.nanoTime() - start).toMillis();

        List<Message.Progress> sent = frames();
        assertThat(sent.getFirst().message()).as("the first report goes out at once").isEqualTo("1 of 100000");
        assertThat(sent.getLast().message()).as("the last report is not lost").isEqualTo("100000 of 100000");
        assertThat(sent.getLast().fraction()).isEqualTo(1.0);
        // At most one frame per interval after the first (a flush that ran late waits out the
        // interval of a report sent inline meanwhile), plus the last at the end.
        assertThat(sent).hasSizeLessThanOrEqualTo((int) (elapsedMillis / ProgressReports.INTERVAL_MILLIS) + 2);
        assertThat(sent).allMatch(progress -> progress.jobId().equals("job-1"));
    }

    @Test
    void aReportHeldBackGoesOutOnItsOwnWhileTheTaskGoesOnWorking() {
        reports.begin("job-2");
        reports.report("job-2", 0.1, "started");
        reports.report("job-2", 0.5, "halfway");
        // The task now computes for a long time without reporting: "halfway" must not wait for its end.
        List<Message.Progress> sent = Await.until("the held-back report is sent", Duration.ofSeconds(10), this::frames,
                frames -> frames.size() == 2);
        assertThat(sent).extracting(Message.Progress::message).containsExactly("started", "halfway");
        reports.end();
        assertThat(frames()).hasSize(2);
    }

    @Test
    void reportsOutsideTheRunningJobAreDropped() {
        reports.report("job-3", 0.5, "before the job began");
        reports.begin("job-3");
        reports.report("job-3", 0.2, "running");
        reports.report("another", 0.9, "not this worker's job now");
        reports.end();
        reports.report("job-3", 1.0, "after its outcome");

        assertThat(frames()).extracting(Message.Progress::message).containsExactly("running");
    }

    @Test
    void fractionsAreClampedToZeroToOne() {
        reports.begin("job-4");
        reports.report("job-4", 7, "over");
        reports.end();
        reports.begin("job-5");
        reports.report("job-5", -1, "under");
        reports.end();

        assertThat(frames()).extracting(Message.Progress::fraction).containsExactly(1.0, 0.0);
    }

    private List<Message.Progress> frames() {
        DataInputStream in = FrameCodec.input(new ByteArrayInputStream(pipe.toByteArray()));
        List<Message.Progress> frames = new ArrayList<>();
        while (true) {
            try {
                frames.add((Message.Progress) FrameCodec.read(in));
            } catch (EOFException end) {
                return frames;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
