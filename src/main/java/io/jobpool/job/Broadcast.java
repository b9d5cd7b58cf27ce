package io.jobpool.job;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;

/**
 * Messages every replica of the service receives, this one included: PostgreSQL
 * {@code LISTEN/NOTIFY} between replicas, an in-process call on the embedded store (where only one
 * replica can exist). Delivery is best effort: a receiver that missed messages (a dropped
 * connection) is told through {@link #onResync} and re-reads the store, and every waiter keeps a
 * slow poll as a fallback.
 */
public interface Broadcast {

    /** What a message is about; its payload is a comma-separated list of job ids, or empty. */
    enum Topic {
        /** Jobs were queued or re-queued: idle dispatchers should claim. */
        JOBS_AVAILABLE,
        /** These jobs reached a final state: wake their long-polls. */
        JOBS_FINISHED,
        /** These jobs were cancelled while RUNNING: the node running them kills their workers. */
        CANCEL,
        /** The service-wide pool state (accepting or closed) changed. */
        POOL_STATE,
        /** Someone wants the live log of these jobs: the node running them stores it. */
        LOGS_REQUESTED,
        /** The live log of these jobs was stored. */
        LOGS_STORED
    }

    /** The largest payload one message carries; longer id lists are split. */
    int MAX_PAYLOAD = 7000;

    void publish(Topic topic, String payload);

    /** Called for every message of the topic, from any replica including this one. */
    void subscribe(Topic topic, Consumer<String> listener);

    /** Called after messages may have been lost (reconnect): listeners re-read what they care about. */
    void onResync(Runnable listener);

    /**
     * The replicas the store lists now, at each heartbeat: a broadcast between replicas learns from
     * it that others are alive even while they send nothing.
     */
    default void replicasSeen(java.util.Collection<ClusterNode> nodes, java.time.Instant now) {
    }

    /** Publishes the ids in as few messages as fit. */
    default void publishIds(Topic topic, Collection<String> ids) {
        StringBuilder payload = new StringBuilder();
        for (String id : ids) {
            if (!payload.isEmpty() && payload.length() + id.length() + 1 > MAX_PAYLOAD) {
                publish(topic, payload.toString());
                payload.setLength(0);
            }
            if (!payload.isEmpty()) {
                payload.append(',');
            }
            payload.append(id);
        }
        if (!payload.isEmpty()) {
            publish(topic, payload.toString());
        }
    }

    /** The ids of a payload written by {@link #publishIds}. */
    static List<String> ids(String payload) {
        List<String> ids = new ArrayList<>();
        for (String id : payload.split(",")) {
            if (!id.isBlank()) {
                ids.add(id);
            }
        }
        return ids;
    }
}
