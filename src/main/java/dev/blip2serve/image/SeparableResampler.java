package dev.blip2serve.image;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The fixed-point two-pass convolution shared by Pillow's 8-bit resampler and PyTorch's uint8 antialiased
 * interpolation (a port of Pillow-SIMD): horizontal pass first, then vertical, each only when that dimension
 * changes, with an 8-bit (clipped) intermediate image. Only the coefficients differ between the two
 * libraries; see {@link PilResize} and {@link TorchResize}.
 *
 * <p>Per output sample: {@code clamp((2^(p-1) + sum(pixel * k)) >> p, 0, 255)} with integer coefficients
 * {@code k} of {@code p} fraction bits. All sums are exact in 32-bit ints, so the summation order does not
 * matter.
 *
 * <p>Two implementations of the passes compute these sums: {@link SimdResampler} (the Vector API, 3–4x faster)
 * where the JVM was started with {@code --add-modules jdk.incubator.vector} on a CPU with 256-bit vectors, the scalar
 * loops here otherwise (or with {@code -Dblip2.image.simd=false}). Their outputs are identical.
 */
final class SeparableResampler {

    private static final boolean SIMD_WANTED = Boolean.parseBoolean(System.getProperty("blip2.image.simd", "true"));
    private static final boolean VECTOR_MODULE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    /** Whether {@link SimdResampler} runs the passes here (it is not even loaded otherwise: its imports need the module). */
    static final boolean SIMD = SIMD_WANTED && VECTOR_MODULE && SimdResampler.usable();

    private SeparableResampler() {
    }

    /** One line for the start-up log: which resize kernel runs, and how to get the fast one where it does not. */
    static String describe() {
        if (SIMD) {
            return "SIMD (jdk.incubator.vector, 256-bit)";
        }
        if (!SIMD_WANTED) {
            return "scalar (-Dblip2.image.simd=false)";
        }
        return VECTOR_MODULE ? "scalar (this CPU has no 256-bit vectors)"
                : "scalar (start java with --add-modules jdk.incubator.vector for the 3-4x faster SIMD kernel)";
    }

    /**
     * Coefficients for one direction.
     *
     * @param ksize     stride between the coefficient rows of consecutive output indices
     * @param bounds    {@code [2 * out]}: first source index, number of taps
     * @param kk        {@code [out * ksize]} fixed-point coefficients
     * @param precision fraction bits {@code p} of the coefficients
     */
    record Kernel(int ksize, int[] bounds, int[] kk, int precision) {
    }

    /**
     * @param horizontal coefficients for width, or null when the width does not change
     * @param vertical   coefficients for height, or null when the height does not change
     */
    static byte[] run(byte[] src, int width, int height, int channels, int outWidth, int outHeight,
                      Kernel horizontal, Kernel vertical) {
        return run(src, width, height, channels, outWidth, outHeight, horizontal, vertical, SIMD);
    }

    /** {@link #run} with the implementation chosen by the caller (tests compare the two). */
    static byte[] run(byte[] src, int width, int height, int channels, int outWidth, int outHeight,
                      Kernel horizontal, Kernel vertical, boolean simd) {
        if (horizontal == null && vertical == null) {
            return src.clone();
        }
        // Only source rows [firstRow, lastRow) feed the vertical pass: skip the others horizontally.
        int firstRow = 0;
        int lastRow = height;
        if (vertical != null) {
            firstRow = vertical.bounds()[0];
            lastRow = vertical.bounds()[2 * (outHeight - 1)] + vertical.bounds()[2 * (outHeight - 1) + 1];
            for (int i = 0; i < outHeight; i++) {
                firstRow = Math.min(firstRow, vertical.bounds()[2 * i]);
                lastRow = Math.max(lastRow, vertical.bounds()[2 * i] + vertical.bounds()[2 * i + 1]);
            }
        }
        byte[] current = src;
        int curWidth = width;
        int rowOffset = 0;
        if (horizontal != null) {
            current = horizontalPass(src, width, channels, firstRow, lastRow, outWidth, horizontal, simd);
            curWidth = outWidth;
            rowOffset = firstRow;
        }
        if (vertical != null) {
            current = simd ? SimdResampler.verticalPass(current, curWidth, channels, rowOffset, outHeight, vertical)
                    : verticalPass(current, curWidth, channels, rowOffset, outHeight, vertical);
        }
        return current;
    }

    // Output row y holds source row (y + firstRow) resampled to outWidth. Rows are independent: large images are
    // split over the common pool, which cuts the latency of one big photo (the dominant preprocessing cost).
    private static byte[] horizontalPass(byte[] src, int width, int channels, int firstRow, int lastRow,
                                         int outWidth, Kernel k, boolean simd) {
        int rows = lastRow - firstRow;
        byte[] out = new byte[rows * outWidth * channels];
        RowRange pass;
        if (simd) {
            int groups = SimdResampler.groups(k, outWidth, channels);
            int[] expanded = SimdResampler.expand(k, outWidth, channels, groups);
            pass = (from, to) -> SimdResampler.horizontalRows(src, width, channels, firstRow, from, to, outWidth, k,
                    groups, expanded, out);
        } else {
            pass = (from, to) -> horizontalRows(src, width, channels, firstRow, from, to, outWidth, k, out);
        }
        long work = (long) rows * outWidth * k.ksize() * channels;
        if (work < PARALLEL_WORK || rows < 2) {
            pass.rows(0, rows);
        } else {
            int parts = Math.min(rows, Math.max(1, Runtime.getRuntime().availableProcessors()));
            IntStream.range(0, parts).parallel().forEach(part -> pass.rows(rows * part / parts,
                    rows * (part + 1) / parts));
        }
        return out;
    }

    /** Output rows {@code [from, to)} of one pass. */
    @FunctionalInterface
    private interface RowRange {
        void rows(int from, int to);
    }

    /** Multiply-adds below which splitting rows over threads costs more than it saves. */
    private static final long PARALLEL_WORK = 2_000_000;

    private static void horizontalRows(byte[] src, int width, int channels, int firstRow, int from, int to,
                                       int outWidth, Kernel k, byte[] out) {
        int p = k.precision();
        int half = 1 << (p - 1); // +0.5 so that the shift rounds
        int[] bounds = k.bounds();
        int[] kk = k.kk();
        int ksize = k.ksize();
        for (int y = from; y < to; y++) {
            int srcRow = (y + firstRow) * width * channels;
            int dst = y * outWidth * channels;
            if (channels == 3) {
                // RGB, every request's case: three scalar accumulators instead of an array (about 3x faster)
                for (int xx = 0; xx < outWidth; xx++) {
                    int count = bounds[2 * xx + 1];
                    int s = srcRow + bounds[2 * xx] * 3;
                    int kbase = xx * ksize;
                    int r = half;
                    int g = half;
                    int b = half;
                    for (int x = 0; x < count; x++, s += 3) {
                        int w = kk[kbase + x];
                        r += (src[s] & 0xff) * w;
                        g += (src[s + 1] & 0xff) * w;
                        b += (src[s + 2] & 0xff) * w;
                    }
                    out[dst++] = clip8(r, p);
                    out[dst++] = clip8(g, p);
                    out[dst++] = clip8(b, p);
                }
                continue;
            }
            int[] acc = new int[channels];
            for (int xx = 0; xx < outWidth; xx++) {
                int count = bounds[2 * xx + 1];
                int kbase = xx * ksize;
                Arrays.fill(acc, half);
                for (int x = 0; x < count; x++) {
                    int w = kk[kbase + x];
                    int s = srcRow + (x + bounds[2 * xx]) * channels;
                    for (int c = 0; c < channels; c++) {
                        acc[c] += (src[s + c] & 0xff) * w;
                    }
                }
                for (int c = 0; c < channels; c++) {
                    out[dst++] = clip8(acc[c], p);
                }
            }
        }
    }

    private static byte[] verticalPass(byte[] src, int width, int channels, int rowOffset, int outHeight,
                                       Kernel k) {
        int stride = width * channels;
        int p = k.precision();
        int[] bounds = k.bounds();
        int[] kk = k.kk();
        byte[] out = new byte[outHeight * stride];
        int[] acc = new int[stride];
        for (int yy = 0; yy < outHeight; yy++) {
            int ymin = bounds[2 * yy] - rowOffset;
            int count = bounds[2 * yy + 1];
            int kbase = yy * k.ksize();
            Arrays.fill(acc, 1 << (p - 1));
            for (int y = 0; y < count; y++) {
                int w = kk[kbase + y];
                int s = (y + ymin) * stride;
                for (int i = 0; i < stride; i++) {
                    acc[i] += (src[s + i] & 0xff) * w;
                }
            }
            int dst = yy * stride;
            for (int i = 0; i < stride; i++) {
                out[dst + i] = clip8(acc[i], p);
            }
        }
        return out;
    }

    /**
     * Drop the fraction bits (arithmetic shift: floor), clamp to 0..255; the scalar and the SIMD passes' tails share
     * it. Math.max/min compile to branch-free min/max: a branch here, never taken while warming up on a smooth image,
     * became an uncommon trap that the first real photo (bicubic overshoot below 0) hit.
     */
    static byte clip8(int acc, int precision) {
        return (byte) Math.max(0, Math.min(acc >> precision, 255));
    }
}
