package dev.blip2serve.generation;

import java.util.Arrays;
import java.util.List;

/**
 * Prompts of different lengths laid out as HF does for BLIP-2: image prefix first (mask 1), then the text
 * left-padded with the pad token (mask 0), so every row's last position is a real token.
 */
record Batch(int prefixLen, long[][] prompts, long[] tokens, int tokenLen, long[] mask) {

    static Batch leftPadded(int prefixLen, List<long[]> prompts, int pad) {
        int items = prompts.size();
        int width = 0;
        for (long[] p : prompts) {
            if (p.length == 0) {
                throw new IllegalArgumentException("a prompt needs at least the BOS token");
            }
            width = Math.max(width, p.length);
        }
        long[] tokens = new long[items * width];
        long[] mask = new long[items * (prefixLen + width)];
        for (int i = 0; i < items; i++) {
            long[] p = prompts.get(i);
            int padding = width - p.length;
            Arrays.fill(tokens, i * width, i * width + padding, pad);
            System.arraycopy(p, 0, tokens, i * width + padding, p.length);
            int m = i * (prefixLen + width);
            Arrays.fill(mask, m, m + prefixLen, 1);
            Arrays.fill(mask, m + prefixLen + padding, m + prefixLen + width, 1);
        }
        return new Batch(prefixLen, prompts.toArray(long[][]::new), tokens, width, mask);
    }

    int items() {
        return prompts.length;
    }

    long[] prompt(int item) {
        return prompts[item];
    }

    /** Each row of a [rows, width] matrix repeated {@code times} times in place (beam expansion). */
    static long[] repeatRows(long[] m, int rows, int times) {
        int width = m.length / rows;
        long[] out = new long[m.length * times];
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < times; t++) {
                System.arraycopy(m, r * width, out, (r * times + t) * width, width);
            }
        }
        return out;
    }
}
