package io.jobpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.jobpool.testing.Await;
import io.jobpool.testing.ServiceTest;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A job submitted while a worker of this node is idle is stored already claimed (RUNNING, first
 * attempt, this node) and handed straight to that worker: one write and no trip through the queue.
 * Once every worker is taken, or when the job is not due yet, it is queued as before.
 */
class IdleWorkerHandoffTest extends ServiceTest {

    @Test
    void jobsSubmittedWhileWorkersAreIdleAreAnsweredRunningAndTheNextOneIsQueued() {
        String node = awaitQuietPool();
        JsonNode first = api.submit("{\"task\":\"sleep\",\"args\":[1.5]}");
        JsonNode second = api.submit("{\"task\":\"sleep\",\"args\":[1.5]}");
        for (JsonNode job : new JsonNode[] {first, second}) {
            assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("RUNNING");
            assertThat(job.get("attempts").asInt()).isEqualTo(1);
            assertThat(job.get("worker").get("node").asString()).isEqualTo(node);
            assertThat(job.get("startedAt").asString()).isEqualTo(job.get("createdAt").asString());
        }
        JsonNode third = api.submit("{\"task\":\"square\",\"args\":[9]}");
        assertThat(third.get("status").asString()).as("both workers are taken").isEqualTo("QUEUED");

        for (JsonNode job : new JsonNode[] {first, second}) {
            JsonNode done = api.awaitReady(job.get("id").asString(), 20);
            assertThat(done.get("status").asString()).isEqualTo("SUCCEEDED");
            assertThat(done.get("attempts").asInt()).as("ran exactly once").isEqualTo(1);
            assertThat(done.get("worker").get("pid").asLong()).isPositive();
        }
        JsonNode queued = api.awaitReady(third.get("id").asString(), 20);
        assertThat(queued.get("result").asInt()).isEqualTo(81);
        assertThat(queued.get("attempts").asInt()).isEqualTo(1);
    }

    @Test
    void aDelayedJobIsQueuedEvenWhileAWorkerIsIdle() {
        awaitQuietPool();
        JsonNode delayed = api.submit("{\"task\":\"square\",\"args\":[3],\"delaySeconds\":1}");
        assertThat(delayed.get("status").asString()).isEqualTo("QUEUED");
        JsonNode done = api.awaitReady(delayed.get("id").asString(), 20);
        assertThat(done.get("result").asInt()).isEqualTo(9);
        assertThat(Duration.between(java.time.Instant.parse(done.get("createdAt").asString()),
                java.time.Instant.parse(done.get("startedAt").asString()))).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void aSynchronousApplyOnAnIdlePoolRunsOnceAndAnswersTheResult() {
        awaitQuietPool();
        JsonNode job = api.run("{\"task\":\"square\",\"args\":[12]}", 20);
        assertThat(job.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(job.get("result").asInt()).isEqualTo(144);
        assertThat(job.get("attempts").asInt()).isEqualTo(1);
    }

    /**
     * Waits until both workers are idle and nothing is queued or running (left by other tests in
     * the shared context), twice in a row a tenth of a second apart: by then the dispatcher has
     * finished the claim that the last finished job woke it for and holds no worker's permit.
     */
    private String awaitQuietPool() {
        Await.until("two idle workers and an empty queue, twice in a row", Duration.ofSeconds(30), () -> {
            if (!quiet()) {
                return false;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            return quiet();
        });
        return api.get("/v1/pool").json().get("node").asString();
    }

    private boolean quiet() {
        JsonNode pool = api.get("/v1/pool").json();
        long idle = 0;
        for (JsonNode worker : pool.get("workers")) {
            idle += "IDLE".equals(worker.get("state").asString()) ? 1 : 0;
        }
        return idle == 2 && pool.get("workers").size() == 2 && pool.get("queued").asLong() == 0 && pool.get("running").asLong() == 0;
    }
}
