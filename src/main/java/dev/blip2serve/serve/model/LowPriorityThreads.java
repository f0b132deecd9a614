package dev.blip2serve.serve.model;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fork-join pool whose threads run at a raised Linux nice value, for background builds that must not slow the
 * requests being served. Java's thread priorities are ignored on Linux, so each worker raises its own nice value
 * through {@code setpriority(PRIO_PROCESS, tid, nice)} (per thread on Linux, allowed without privileges). Threads a
 * worker creates inherit it: ONNX Runtime's intra-op threads of sessions opened on a worker, and the pool's own
 * parallel streams ({@code IntStream.parallel()} inside a task of this pool runs on this pool, not on the common one).
 * Off Linux (no {@code /proc/thread-self}) the workers keep the normal priority and one line says so.
 */
final class LowPriorityThreads {

    private static final Logger LOG = LoggerFactory.getLogger(LowPriorityThreads.class);
    private static final int PRIO_PROCESS = 0;
    private static final MethodHandle SETPRIORITY = setpriority();
    private static final AtomicInteger WARNED = new AtomicInteger();

    private LowPriorityThreads() {
    }

    /** A pool of {@code threads} daemon workers named {@code prefix-N}, each at nice {@code nice}. */
    static ForkJoinPool pool(String prefix, int threads, int nice) {
        AtomicInteger n = new AtomicInteger();
        ForkJoinPool.ForkJoinWorkerThreadFactory factory = p -> {
            ForkJoinWorkerThread t = new ForkJoinWorkerThread(null, p, true) {
                @Override
                protected void onStart() {
                    super.onStart();
                    lowerCurrentThread(nice);
                }
            };
            t.setName(prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        return new ForkJoinPool(threads, factory, null, false);
    }

    /** Raises the calling thread's nice value to {@code nice}; false where that is not possible (logged once). */
    static boolean lowerCurrentThread(int nice) {
        long tid = currentTid();
        if (SETPRIORITY == null || tid < 0) {
            warnOnce("no setpriority or /proc/thread-self on this system");
            return false;
        }
        try {
            int rc = (int) SETPRIORITY.invokeExact(PRIO_PROCESS, (int) tid, nice);
            if (rc != 0) {
                warnOnce("setpriority(" + nice + ") failed");
                return false;
            }
            return true;
        } catch (Throwable e) {
            warnOnce("setpriority failed: " + e);
            return false;
        }
    }

    /** The calling thread's nice value from {@code /proc/thread-self/stat}, or null off Linux. */
    static Integer currentNice() {
        try {
            String stat = Files.readString(Path.of("/proc/thread-self/stat"));
            // Field 19 of stat; the command name (field 2) may hold spaces, so count from its closing parenthesis.
            String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(rest[19 - 3]);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static long currentTid() {
        try {
            String link = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString(); // "<pid>/task/<tid>"
            return Long.parseLong(link.substring(link.lastIndexOf('/') + 1));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static MethodHandle setpriority() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("setpriority").map(a -> linker.downcallHandle(a, FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    private static void warnOnce(String why) {
        if (WARNED.getAndIncrement() == 0) {
            LOG.warn("background builds run at normal priority: {}", why);
        }
    }
}
