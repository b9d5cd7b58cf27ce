package io.jobpool.worker;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.ThreadFactory;

/**
 * Threads a task left running when its job ended. What they print lands in whichever job the
 * worker runs next, maybe another API key's, and no job owns them to stop them: a worker with such
 * threads runs no other job (the pool replaces it). Seen are the platform threads of the task's
 * thread group, so what the task or its libraries start, not the JDK's own (process reapers,
 * cleaners); the common fork-join pool counts only while it still has work, as its idle threads
 * run nothing. Virtual threads are not seen: the JDK lists them only to its own tools.
 */
final class LeftoverThreads {

    /** How long threads the task started may take to end after it returned (a thread that was just finishing). */
    private static final long GRACE_NANOS = 50_000_000L;
    private static final int NAMES_SHOWN = 5;

    /** The worker's own threads, started when a job first needed them (progress reports). */
    private static final Set<Thread> OWN = Collections.newSetFromMap(new ConcurrentHashMap<>());

    private LeftoverThreads() {
    }

    /** A factory of the worker's own platform daemon threads, never taken for a task's. */
    static ThreadFactory ownThreads(String name) {
        ThreadFactory factory = Thread.ofPlatform().name(name).daemon().factory();
        return runnable -> {
            Thread thread = factory.newThread(runnable);
            OWN.add(thread);
            return thread;
        };
    }

    /** The live threads of the current thread's group, before a job. */
    static Set<Thread> snapshot() {
        return new HashSet<>(live());
    }

    /**
     * What the job left running since {@code before}, described for the log ("2 thread(s): poller,
     * Thread-3"), or {@code null} when nothing is left after a short grace.
     */
    static String since(Set<Thread> before) {
        long deadline = System.nanoTime() + GRACE_NANOS;
        List<Thread> left = new ArrayList<>();
        for (Thread thread : live()) {
            if (!before.contains(thread) && !OWN.contains(thread) && !idleInCommonPool(thread)) {
                left.add(thread);
            }
        }
        left.removeIf(thread -> endsBy(thread, deadline));
        if (left.isEmpty()) {
            return null;
        }
        List<String> names = left.stream().limit(NAMES_SHOWN).map(Thread::getName).toList();
        return left.size() + " thread(s): " + String.join(", ", names) + (left.size() > NAMES_SHOWN ? ", ..." : "");
    }

    private static List<Thread> live() {
        ThreadGroup group = Thread.currentThread().getThreadGroup();
        Thread[] threads = new Thread[group.activeCount() + 16];
        int count = group.enumerate(threads, true);
        List<Thread> live = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (threads[i] != Thread.currentThread() && threads[i].isAlive()) {
                live.add(threads[i]);
            }
        }
        return live;
    }

    private static boolean idleInCommonPool(Thread thread) {
        return thread instanceof ForkJoinWorkerThread worker && worker.getPool() == ForkJoinPool.commonPool()
                && ForkJoinPool.commonPool().isQuiescent();
    }

    private static boolean endsBy(Thread thread, long deadline) {
        long left = deadline - System.nanoTime();
        try {
            return left > 0 ? thread.join(java.time.Duration.ofNanos(left)) : !thread.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !thread.isAlive();
        }
    }
}
