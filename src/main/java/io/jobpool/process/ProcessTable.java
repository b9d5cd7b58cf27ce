package io.jobpool.process;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One reading of the process table from {@code /proc/<pid>/stat}: parent, session and start time
 * of every process, which {@link ProcessHandle} does not expose.
 *
 * <p>On systems without {@code /proc} the table is empty and {@link #available()} says so; callers
 * then fall back to {@link ProcessHandle#descendants()}.
 */
public final class ProcessTable {

    private static final File PROC = new File("/proc");

    /** Answers of {@link #environmentHas(Entry, String, String)}, by process and environment entry. */
    private static final Map<EnvironmentQuestion, Boolean> ENVIRONMENT_ANSWERS = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int MAX_REMEMBERED_ANSWERS = 16_384;

    private record EnvironmentQuestion(long pid, long startTicks, String entry) {}

    /**
     * One process. {@code startTicks} is its start time in clock ticks since boot: with the pid it
     * names the process unambiguously, so a recycled pid is never mistaken for the process seen earlier.
     */
    public record Entry(long pid, String name, char state, long ppid, long pgrp, long session, long startTicks) {

        /** A zombie or dead process is not running: it only waits for its parent to reap it. */
        public boolean running() {
            return state != 'Z' && state != 'X' && state != 'x';
        }

        /** Whether {@code other} is a reading of the same process (pid and start time). */
        public boolean sameProcess(Entry other) {
            return pid == other.pid && startTicks == other.startTicks;
        }

        /** Whether the process seen in this entry still runs (same pid and start time). */
        public boolean stillRunning() {
            return ProcessTable.entry(pid).filter(now -> now.startTicks == startTicks).map(Entry::running).orElse(false);
        }
    }

    private final Map<Long, Entry> entries;

    private ProcessTable(Map<Long, Entry> entries) {
        this.entries = entries;
    }

    /** Whether this system has a readable {@code /proc}. */
    public static boolean available() {
        return new File("/proc/self/stat").canRead();
    }

    /** Reads every process once. Processes that exit during the reading are simply absent. */
    public static ProcessTable read() {
        String[] names = PROC.list();
        Map<Long, Entry> entries = new HashMap<>();
        if (names != null) {
            byte[] buffer = new byte[1024];
            for (String name : names) {
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                    continue;
                }
                Entry entry = parse(Long.parseLong(name), buffer);
                if (entry != null) {
                    entries.put(entry.pid(), entry);
                }
            }
        }
        return new ProcessTable(entries);
    }

    /** The process {@code pid} now, if it exists. */
    public static Optional<Entry> entry(long pid) {
        return Optional.ofNullable(parse(pid, new byte[1024]));
    }

    public Collection<Entry> entries() {
        return entries.values();
    }

    public Optional<Entry> get(long pid) {
        return Optional.ofNullable(entries.get(pid));
    }

    /** Every process whose chain of parents leads to {@code pid}, following the parent links of this reading. */
    public Set<Long> descendantsOf(long pid) {
        Map<Long, List<Long>> children = new HashMap<>();
        for (Entry entry : entries.values()) {
            children.computeIfAbsent(entry.ppid(), p -> new ArrayList<>()).add(entry.pid());
        }
        Set<Long> found = new HashSet<>();
        Deque<Long> todo = new ArrayDeque<>(children.getOrDefault(pid, List.of()));
        while (!todo.isEmpty()) {
            long next = todo.pop();
            if (found.add(next)) {
                todo.addAll(children.getOrDefault(next, List.of()));
            }
        }
        return found;
    }

    /**
     * {@link #environmentHas(long, String, String)} for a process as the table saw it, remembered:
     * every job's end on a busy host would otherwise read the environment of every process started
     * since the worker. A process's answer cannot change while it lives: a process that is not a
     * worker's never gains its (unique, random) marker, and one that had it stays that worker's
     * even if it execs with a scrubbed environment. A pid reused by another process has another
     * start time, so another question.
     */
    public static boolean environmentHas(Entry process, String variable, String value) {
        EnvironmentQuestion question = new EnvironmentQuestion(process.pid(), process.startTicks(), variable + "=" + value);
        Boolean known = ENVIRONMENT_ANSWERS.get(question);
        if (known != null) {
            return known;
        }
        boolean has = environmentHas(process.pid(), variable, value);
        if (ENVIRONMENT_ANSWERS.size() >= MAX_REMEMBERED_ANSWERS) {
            ENVIRONMENT_ANSWERS.clear(); // processes come and go; starting over costs one read each
        }
        ENVIRONMENT_ANSWERS.put(question, has);
        return has;
    }

    /**
     * Whether the environment the process was started with holds {@code variable=value}. Only
     * readable for processes of the same user (or by root); others answer {@code false}.
     */
    private static boolean environmentHas(long pid, String variable, String value) {
        return environmentValue(pid, variable).filter(value::equals).isPresent();
    }

    /**
     * The value of {@code variable} in the environment the process was started with; empty when it
     * has none, or its environment is not readable (another user's process).
     */
    public static Optional<String> environmentValue(long pid, String variable) {
        byte[] environ = readAll(new File(PROC, pid + "/environ"));
        if (environ == null) {
            return Optional.empty();
        }
        byte[] name = (variable + "=").getBytes(StandardCharsets.UTF_8);
        int start = 0;
        for (int i = 0; i <= environ.length; i++) {
            if (i == environ.length || environ[i] == 0) {
                if (i - start >= name.length && java.util.Arrays.equals(environ, start, start + name.length, name, 0, name.length)) {
                    return Optional.of(new String(environ, start + name.length, i - start - name.length, StandardCharsets.UTF_8));
                }
                start = i + 1;
            }
        }
        return Optional.empty();
    }

    /** The command line of a process, for logs: arguments joined by spaces, cut to 200 characters. */
    public static String commandLine(Entry entry) {
        byte[] cmdline = readAll(new File(PROC, entry.pid() + "/cmdline"));
        if (cmdline == null || cmdline.length == 0) {
            return entry.name();
        }
        String text = new String(cmdline, StandardCharsets.UTF_8).replace('\0', ' ').strip();
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }

    private static Entry parse(long pid, byte[] buffer) {
        String stat;
        try (FileInputStream in = new FileInputStream(new File(PROC, pid + "/stat"))) {
            int length = in.readNBytes(buffer, 0, buffer.length);
            stat = new String(buffer, 0, length, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null; // exited meanwhile, or not ours to read
        }
        // "pid (comm) state ppid pgrp session tty tpgid flags ... starttime(22nd field) ...";
        // comm may hold spaces and parentheses, so the fields are counted after its last ')'.
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        if (open < 0 || close < open || close + 2 >= stat.length()) {
            return null;
        }
        String[] fields = stat.substring(close + 2).split(" ");
        if (fields.length < 20) {
            return null;
        }
        try {
            return new Entry(pid, stat.substring(open + 1, close), fields[0].charAt(0), Long.parseLong(fields[1]),
                    Long.parseLong(fields[2]), Long.parseLong(fields[3]), Long.parseLong(fields[19]));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static byte[] readAll(File file) {
        try (FileInputStream in = new FileInputStream(file)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        } catch (IOException e) {
            return null;
        }
    }
}
