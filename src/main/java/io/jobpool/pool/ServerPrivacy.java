package io.jobpool.pool;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps task code out of the server's own process. Workers get a scrubbed environment, but they
 * run as the server's user, and a worker's parent is the server: {@code open("/proc/" +
 * os.getppid() + "/environ")} read the API key hashes, the webhook secrets and the database
 * password the server was started with (the Helm chart passes them as environment variables), and
 * {@code /proc/<pid>/mem} its heap. Linux lets a process of the same user read those only while
 * the target is "dumpable"; the server makes itself not dumpable ({@code prctl(PR_SET_DUMPABLE,
 * 0)}, as ssh-agent and gpg-agent do), so its {@code /proc} files belong to root. Workers start
 * dumpable again (an exec resets it), so the pool still reads theirs. Root keeps access: {@code
 * jcmd} as root still attaches; the image's user does not (README, "Security").
 *
 * <p>Not on other systems, whose {@code /proc} (where there is one) works otherwise: said in the log.
 */
public final class ServerPrivacy {

    private static final Logger log = LoggerFactory.getLogger(ServerPrivacy.class);
    private static final int PR_SET_DUMPABLE = 4;
    private static final int PR_GET_DUMPABLE = 3;

    private ServerPrivacy() {
    }

    /** Makes this process not dumpable; {@code true} when it is not dumpable afterwards. */
    public static boolean hideFromTasks() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            log.info("Not on Linux: task code running as the server's user may read the server's environment through the"
                    + " operating system; run workers and server as the only processes of their user");
            return false;
        }
        try {
            int result = (int) prctl().invokeExact(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L);
            if (result != 0 || dumpable()) {
                log.warn("Could not make the server not dumpable (prctl answered {}): task code running as the server's"
                        + " user can read the server's environment, secrets included, under /proc", result);
                return false;
            }
            return true;
        } catch (Throwable e) {
            log.warn("Could not make the server not dumpable ({}): task code running as the server's user can read the"
                    + " server's environment, secrets included, under /proc", e.toString());
            return false;
        }
    }

    /** Whether this process is dumpable, which is what lets processes of its user read its {@code /proc} files. */
    public static boolean dumpable() throws Throwable {
        return (int) prctl().invokeExact(PR_GET_DUMPABLE, 0L, 0L, 0L, 0L) == 1;
    }

    private static MethodHandle prctl() {
        Linker linker = Linker.nativeLinker();
        // int prctl(int option, ...): the four arguments after the option are variadic, passed as unsigned longs.
        return linker.downcallHandle(linker.defaultLookup().find("prctl").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
    }
}
