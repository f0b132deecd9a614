package dev.blip2serve.bench;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures the machine's read bandwidth the way a decoder step uses it: every core streams through its
 * share of a buffer much larger than the caches. The best of a few passes is reported.
 */
public final class MemoryBandwidth {

    private MemoryBandwidth() {
    }

    /** Bytes per second read by {@code threads} threads summing a {@code megabytes} MB float array. */
    public static double readBytesPerSecond(int megabytes, int threads, int passes) throws Exception {
        float[] data = new float[megabytes * (1 << 20) / 4];
        for (int i = 0; i < data.length; i += 1024) {
            data[i] = i;
        }
        double best = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int p = 0; p < passes; p++) {
                long t0 = System.nanoTime();
                Future<?>[] parts = new Future<?>[threads];
                int chunk = data.length / threads;
                double[] sink = new double[threads];
                for (int t = 0; t < threads; t++) {
                    int from = t * chunk;
                    int to = t == threads - 1 ? data.length : from + chunk;
                    int slot = t;
                    parts[t] = pool.submit(() -> sink[slot] = sum(data, from, to));
                }
                for (Future<?> f : parts) {
                    f.get();
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                best = Math.max(best, data.length * 4.0 / seconds);
            }
        }
        return best;
    }

    /** Eight independent accumulators so the loop is bound by loads, not by one add chain. */
    private static double sum(float[] d, int from, int to) {
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        int i = from;
        for (; i + 8 <= to; i += 8) {
            a0 += d[i];
            a1 += d[i + 1];
            a2 += d[i + 2];
            a3 += d[i + 3];
            a4 += d[i + 4];
            a5 += d[i + 5];
            a6 += d[i + 6];
            a7 += d[i + 7];
        }
        for (; i < to; i++) {
            a0 += d[i];
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    }
}
