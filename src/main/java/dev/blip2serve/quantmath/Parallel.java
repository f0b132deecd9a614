package dev.blip2serve.quantmath;

import java.util.stream.IntStream;

/**
 * Splits a row range over the common fork-join pool. Callers write results per item (never per chunk), so the
 * outcome does not depend on the split or the processor count.
 */
final class Parallel {

    /** Body over the half-open row range [from, to). */
    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }

    private Parallel() {
    }

    /**
     * Runs {@code body} over [0, n) in chunks. {@code workPerItem} (e.g. elements per row) decides whether
     * splitting is worth it: below about a million elements in all, the call runs on this thread.
     */
    static void forRange(int n, long workPerItem, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int threads = Runtime.getRuntime().availableProcessors();
        if (threads == 1 || (long) n * Math.max(1L, workPerItem) < (1L << 20)) {
            body.run(0, n);
            return;
        }
        int chunks = Math.min(n, threads * 4);
        IntStream.range(0, chunks).parallel().forEach(c -> {
            int from = (int) ((long) n * c / chunks);
            int to = (int) ((long) n * (c + 1) / chunks);
            if (from < to) {
                body.run(from, to);
            }
        });
    }
}
