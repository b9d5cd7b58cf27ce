package io.jobpool.store;

import io.jobpool.job.Broadcast;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Broadcast} within this process: the embedded store, which only one replica can open.
 * Listeners run on the publisher's thread and must be quick; one that throws does not stop the others.
 */
public class LocalBroadcast implements Broadcast {

    private static final Logger log = LoggerFactory.getLogger(LocalBroadcast.class);

    private final Map<Topic, List<Consumer<String>>> listeners = new EnumMap<>(Topic.class);
    private final List<Runnable> resyncListeners = new CopyOnWriteArrayList<>();

    public LocalBroadcast() {
        for (Topic topic : Topic.values()) {
            listeners.put(topic, new CopyOnWriteArrayList<>());
        }
    }

    @Override
    public void publish(Topic topic, String payload) {
        deliver(topic, payload);
    }

    @Override
    public void subscribe(Topic topic, Consumer<String> listener) {
        listeners.get(topic).add(listener);
    }

    @Override
    public void onResync(Runnable listener) {
        resyncListeners.add(listener);
    }

    /** Hands a message to this process's listeners. */
    protected final void deliver(Topic topic, String payload) {
        for (Consumer<String> listener : listeners.get(topic)) {
            try {
                listener.accept(payload);
            } catch (RuntimeException e) {
                log.error("A listener of {} failed; the others still get the message", topic, e);
            }
        }
    }

    /** Tells this process's listeners that messages may have been lost. */
    protected final void resync() {
        for (Runnable listener : resyncListeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                log.error("A resync listener failed; it re-reads the store at its next poll instead", e);
            }
        }
    }
}
