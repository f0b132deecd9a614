package dev.blip2serve.image;

import static dev.blip2serve.image.SeparableResampler.clip8;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SeparableResampler}'s two passes with the Vector API ({@code jdk.incubator.vector}): 8 int lanes (AVX2) per
 * operation instead of one. The sums are the same integers as the scalar loops (32-bit integer adds are associative,
 * even if they wrapped), so the output is identical byte for byte; only the order of the additions changes.
 *
 * <p>Horizontal pass: one 16-byte load covers {@code P = 16 / channels} whole pixels (5 RGB pixels: 15 of the 16
 * lanes); widened to two int vectors and multiplied by the tap weights expanded to the same lane layout
 * ({@link #expand}), it adds 15 products per two multiplies. Lane {@code j} always holds channel {@code j % channels},
 * so one fixed lane sum per channel ends each output pixel. Vertical pass: the taps walk down a column block of 16
 * bytes of the intermediate image, whose channels need no sorting at all.
 *
 * <p>Only loaded when {@link #usable()} can be asked: the JVM must have been started with
 * {@code --add-modules jdk.incubator.vector} (see {@link SeparableResampler}).
 */
final class SimdResampler {

    private static final VectorSpecies<Byte> BYTES_16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Byte> BYTES_8 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Integer> INTS_8 = IntVector.SPECIES_256;
    private static final int BLOCK = 16;

    private SimdResampler() {
    }

    /**
     * Whether this CPU runs 256-bit int vectors natively: below that (SSE-only x86, 128-bit NEON) the API falls back
     * to Java loops far slower than the scalar kernel.
     */
    static boolean usable() {
        return IntVector.SPECIES_PREFERRED.vectorBitSize() >= INTS_8.vectorBitSize();
    }

    /** Whole pixels per 16-byte load. */
    static int pixelsPerBlock(int channels) {
        return BLOCK / channels;
    }

    /**
     * The weights laid out like the pixels of a 16-byte load: for output {@code xx}, block {@code g} of
     * {@code groups} holds at lane {@code j < P * channels} the weight of tap {@code g * P + j / channels} (0 past the
     * taps), and 0 in the unused lanes.
     */
    static int[] expand(SeparableResampler.Kernel k, int outSize, int channels, int groups) {
        int perBlock = pixelsPerBlock(channels);
        int[] e = new int[Math.multiplyExact(outSize * groups, BLOCK)];
        for (int xx = 0; xx < outSize; xx++) {
            int count = k.bounds()[2 * xx + 1];
            for (int t = 0; t < count; t++) {
                int base = (xx * groups + t / perBlock) * BLOCK + (t % perBlock) * channels;
                int w = k.kk()[xx * k.ksize() + t];
                for (int c = 0; c < channels; c++) {
                    e[base + c] = w;
                }
            }
        }
        return e;
    }

    /** Blocks needed for the widest output pixel of the kernel. */
    static int groups(SeparableResampler.Kernel k, int outSize, int channels) {
        int maxTaps = 0;
        for (int xx = 0; xx < outSize; xx++) {
            maxTaps = Math.max(maxTaps, k.bounds()[2 * xx + 1]);
        }
        int perBlock = pixelsPerBlock(channels);
        return Math.max(1, (maxTaps + perBlock - 1) / perBlock);
    }

    /** Output rows {@code [from, to)} of the horizontal pass; same contract as the scalar loop. */
    static void horizontalRows(byte[] src, int width, int channels, int firstRow, int from, int to, int outWidth,
                               SeparableResampler.Kernel k, int groups, int[] expanded, byte[] out) {
        int p = k.precision();
        int half = 1 << (p - 1); // +0.5 so that the shift rounds
        int perBlock = pixelsPerBlock(channels);
        int step = perBlock * channels;
        int[] bounds = k.bounds();
        int[] lanes = new int[BLOCK];
        int[] acc = new int[channels];
        for (int y = from; y < to; y++) {
            int srcRow = (y + firstRow) * width * channels;
            int dst = y * outWidth * channels;
            for (int xx = 0; xx < outWidth; xx++) {
                int count = bounds[2 * xx + 1];
                int s = srcRow + bounds[2 * xx] * channels;
                int blocks = (count + perBlock - 1) / perBlock;
                if (s + (blocks - 1) * step + BLOCK > src.length) {
                    // The last block would read past the array (last pixels of the last row): scalar, same sums.
                    dst = scalarPixel(src, s, count, k.kk(), xx * k.ksize(), channels, half, p, out, dst);
                    continue;
                }
                IntVector low = IntVector.zero(INTS_8);
                IntVector high = IntVector.zero(INTS_8);
                int e = xx * groups * BLOCK;
                for (int g = 0; g < blocks; g++, s += step, e += BLOCK) {
                    // Lanes past the taps read the next pixels (or row) and multiply them by 0.
                    ByteVector px = ByteVector.fromArray(BYTES_16, src, s);
                    IntVector lo = (IntVector) px.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS_8, 0);
                    IntVector hi = (IntVector) px.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS_8, 1);
                    low = low.add(lo.mul(IntVector.fromArray(INTS_8, expanded, e)));
                    high = high.add(hi.mul(IntVector.fromArray(INTS_8, expanded, e + 8)));
                }
                low.intoArray(lanes, 0);
                high.intoArray(lanes, 8);
                if (channels == 3) { // RGB, every request's case: the lane sums written out
                    out[dst++] = clip8(half + lanes[0] + lanes[3] + lanes[6] + lanes[9] + lanes[12], p);
                    out[dst++] = clip8(half + lanes[1] + lanes[4] + lanes[7] + lanes[10] + lanes[13], p);
                    out[dst++] = clip8(half + lanes[2] + lanes[5] + lanes[8] + lanes[11] + lanes[14], p);
                    continue;
                }
                java.util.Arrays.fill(acc, half);
                for (int j = 0; j < step; j++) {
                    acc[j % channels] += lanes[j];
                }
                for (int c = 0; c < channels; c++) {
                    out[dst++] = clip8(acc[c], p);
                }
            }
        }
    }

    private static int scalarPixel(byte[] src, int s, int count, int[] kk, int kbase, int channels, int half, int p,
                                   byte[] out, int dst) {
        for (int c = 0; c < channels; c++) {
            int sum = half;
            for (int x = 0; x < count; x++) {
                sum += (src[s + x * channels + c] & 0xff) * kk[kbase + x];
            }
            out[dst++] = clip8(sum, p);
        }
        return dst;
    }

    /** The vertical pass; same contract as the scalar loop. */
    static byte[] verticalPass(byte[] src, int width, int channels, int rowOffset, int outHeight,
                               SeparableResampler.Kernel k) {
        int stride = width * channels;
        int p = k.precision();
        int half = 1 << (p - 1);
        int[] bounds = k.bounds();
        int[] kk = k.kk();
        byte[] out = new byte[outHeight * stride];
        IntVector start = IntVector.broadcast(INTS_8, half);
        int vectorEnd = stride - stride % BLOCK;
        for (int yy = 0; yy < outHeight; yy++) {
            int ymin = bounds[2 * yy] - rowOffset;
            int count = bounds[2 * yy + 1];
            int kbase = yy * k.ksize();
            int dst = yy * stride;
            for (int i = 0; i < vectorEnd; i += BLOCK) {
                IntVector low = start;
                IntVector high = start;
                for (int y = 0; y < count; y++) {
                    ByteVector px = ByteVector.fromArray(BYTES_16, src, (y + ymin) * stride + i);
                    int w = kk[kbase + y];
                    low = low.add(((IntVector) px.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS_8, 0)).mul(w));
                    high = high.add(((IntVector) px.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS_8, 1)).mul(w));
                }
                store(low, p, out, dst + i);
                store(high, p, out, dst + i + 8);
            }
            for (int i = vectorEnd; i < stride; i++) {
                int sum = half;
                for (int y = 0; y < count; y++) {
                    sum += (src[(y + ymin) * stride + i] & 0xff) * kk[kbase + y];
                }
                out[dst + i] = clip8(sum, p);
            }
        }
        return out;
    }

    /** Shift, clamp to 0..255 and narrow 8 sums to 8 bytes. */
    private static void store(IntVector sums, int precision, byte[] out, int offset) {
        ((ByteVector) sums.lanewise(VectorOperators.ASHR, precision).max(0).min(255)
                .convertShape(VectorOperators.I2B, BYTES_8, 0)).intoArray(out, offset);
    }
}
