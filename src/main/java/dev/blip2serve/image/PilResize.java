package dev.blip2serve.image;

import java.util.Objects;

/**
 * Pillow's {@code Image.resize(size, resample)} for 8-bit images, reproduced bit for bit.
 *
 * <p>What Pillow does for an 8-bit RGB / L image with the default {@code box} and {@code reducing_gap=None}
 * (which is how transformers calls it), and what this class does the same way:
 * <ul>
 *   <li>Same size in both directions: a plain copy.</li>
 *   <li>Otherwise a separable convolution: horizontal pass first, then vertical, each pass only when that
 *       dimension changes. The horizontal pass only computes the rows the vertical pass will read.</li>
 *   <li>The filter is antialiased: when shrinking, its support is stretched by the scale factor
 *       ({@code in/out}), so every source pixel contributes.</li>
 *   <li>Per output pixel the double-precision weights are normalized to sum to 1, then turned into
 *       fixed-point integers with 22 fractional bits ({@code 32 - 8 - 2}), rounded half away from zero.
 *       The accumulator starts at 0.5 (in fixed point), and the sum is shifted back and clipped to 0..255
 *       after <em>each</em> pass: the intermediate image is 8-bit.</li>
 * </ul>
 *
 * <p>Bicubic uses {@code a = -0.5}. BOX, BILINEAR and BICUBIC weights use only {@code + - * /}, so they are
 * identical to Pillow's doubles. HAMMING and LANCZOS call sin/cos ({@link StrictMath} here, the C library
 * in Pillow): a weight could differ in its last bit, which changes an output pixel only if a fixed-point
 * coefficient lands exactly on a rounding boundary. NEAREST is a different algorithm in Pillow (an affine
 * transform) and is not provided.
 *
 * <p>Images are interleaved, row-major: {@code pixels[(y * width + x) * channels + c]}, 1 to 4 channels.
 */
public final class PilResize {

    /** Fixed-point fraction bits of Pillow's 8-bit resampler: 8 bits for the value, 2 for overshoot. */
    static final int PRECISION_BITS = 32 - 8 - 2;

    private PilResize() {
    }

    /** Pillow's resampling filters that this class implements, with Pillow's integer codes. */
    public enum Filter {
        /** {@code Image.Resampling.LANCZOS} (1): truncated sinc, support 3. */
        LANCZOS(1, 3.0),
        /** {@code Image.Resampling.BILINEAR} (2): triangle, support 1. */
        BILINEAR(2, 1.0),
        /** {@code Image.Resampling.BICUBIC} (3): cubic convolution a = -0.5, support 2. */
        BICUBIC(3, 2.0),
        /** {@code Image.Resampling.BOX} (4): box, support 0.5. */
        BOX(4, 0.5),
        /** {@code Image.Resampling.HAMMING} (5): Hamming-windowed sinc, support 1. */
        HAMMING(5, 1.0);

        private final int pilCode;
        private final double support;

        Filter(int pilCode, double support) {
            this.pilCode = pilCode;
            this.support = support;
        }

        /** Pillow's integer code ({@code resample} in {@code preprocessor_config.json}). */
        public int pilCode() {
            return pilCode;
        }

        /** Half-width of the filter kernel at scale 1, in pixels. */
        public double support() {
            return support;
        }

        /**
         * The filter for a Pillow {@code resample} code.
         *
         * @throws IllegalArgumentException for NEAREST (0) or an unknown code
         */
        public static Filter fromPilCode(int code) {
            for (Filter f : values()) {
                if (f.pilCode == code) {
                    return f;
                }
            }
            if (code == 0) {
                throw new IllegalArgumentException("resample 0 (NEAREST) is not supported");
            }
            throw new IllegalArgumentException("unknown resample code " + code + " (PIL codes are 0..5)");
        }

        /** The kernel value at {@code x}; same expressions and evaluation order as Pillow's C filters. */
        double weight(double x) {
            switch (this) {
                case BOX:
                    return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
                case BILINEAR:
                    x = Math.abs(x);
                    return x < 1.0 ? 1.0 - x : 0.0;
                case BICUBIC: {
                    final double a = -0.5;
                    x = Math.abs(x);
                    if (x < 1.0) {
                        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
                    }
                    if (x < 2.0) {
                        return (((x - 5) * x + 8) * x - 4) * a;
                    }
                    return 0.0;
                }
                case HAMMING: {
                    x = Math.abs(x);
                    if (x == 0.0) {
                        return 1.0;
                    }
                    if (x >= 1.0) {
                        return 0.0;
                    }
                    x = x * Math.PI;
                    // The C source writes 0.54f and 0.46f: float constants widened to double.
                    return StrictMath.sin(x) / x * ((double) 0.54f + (double) 0.46f * StrictMath.cos(x));
                }
                case LANCZOS:
                    return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3) : 0.0;
                default:
                    throw new AssertionError(this);
            }
        }

        private static double sinc(double x) {
            if (x == 0.0) {
                return 1.0;
            }
            x = x * Math.PI;
            return StrictMath.sin(x) / x;
        }
    }

    /**
     * Resizes an interleaved 8-bit image exactly like Pillow's {@code Image.resize((outWidth, outHeight),
     * filter)} on an "L" (1 channel) or "RGB" (3 channels) image.
     *
     * @param pixels    source, {@code [height][width][channels]} flattened, unsigned bytes
     * @param width     source width
     * @param height    source height
     * @param channels  channels per pixel, 1..4 (each channel is resampled independently)
     * @param outWidth  target width, positive
     * @param outHeight target height, positive
     * @param filter    the resampling filter
     * @return a new array {@code [outHeight][outWidth][channels]}
     */
    public static byte[] resize(byte[] pixels, int width, int height, int channels,
                                int outWidth, int outHeight, Filter filter) {
        Objects.requireNonNull(pixels, "pixels");
        Objects.requireNonNull(filter, "filter");
        if (width <= 0 || height <= 0 || outWidth <= 0 || outHeight <= 0) {
            throw new IllegalArgumentException("sizes must be positive: " + width + "x" + height
                    + " -> " + outWidth + "x" + outHeight);
        }
        if (channels < 1 || channels > 4) {
            throw new IllegalArgumentException("channels must be 1..4, got " + channels);
        }
        if ((long) width * height * channels != pixels.length) {
            throw new IllegalArgumentException("pixel buffer has " + pixels.length + " bytes, expected "
                    + (long) width * height * channels);
        }
        boolean horizontal = outWidth != width;
        boolean vertical = outHeight != height;
        if (!horizontal && !vertical) {
            return pixels.clone();
        }

        return SeparableResampler.run(pixels, width, height, channels, outWidth, outHeight,
                horizontal ? Coefficients.compute(width, outWidth, filter).kernel() : null,
                vertical ? Coefficients.compute(height, outHeight, filter).kernel() : null);
    }

    /**
     * Per output index: the first source index, the number of taps, and {@code ksize} fixed-point weights
     * (Pillow's {@code precompute_coeffs} followed by {@code normalize_coeffs_8bpc}).
     */
    static final class Coefficients {
        final int ksize;
        final int[] bounds; // [2 * out]: xmin, count
        final int[] kk;     // [out * ksize], fixed point with PRECISION_BITS fraction bits

        private Coefficients(int ksize, int[] bounds, int[] kk) {
            this.ksize = ksize;
            this.bounds = bounds;
            this.kk = kk;
        }

        SeparableResampler.Kernel kernel() {
            return new SeparableResampler.Kernel(ksize, bounds, kk, PRECISION_BITS);
        }

        static Coefficients compute(int inSize, int outSize, Filter filter) {
            // Pillow passes the box edges as C floats; for box (0, inSize) the span is exactly inSize
            // as long as inSize < 2^24, which the decoder's pixel limit guarantees in practice.
            double scale = (double) (float) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = filter.support() * filterScale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            if ((long) outSize * ksize > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("resize " + inSize + " -> " + outSize + " is too large");
            }
            int[] bounds = new int[outSize * 2];
            double[] weights = new double[outSize * ksize];
            int[] kk = new int[outSize * ksize];
            double ss = 1.0 / filterScale;
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale; // in0 (= 0) + ...
                // (int) truncates toward zero, like the C cast; negatives are clamped right after.
                int xmin = (int) (center - support + 0.5);
                if (xmin < 0) {
                    xmin = 0;
                }
                int xmax = (int) (center + support + 0.5);
                if (xmax > inSize) {
                    xmax = inSize;
                }
                xmax -= xmin;
                int base = xx * ksize;
                double ww = 0.0;
                for (int x = 0; x < xmax; x++) {
                    double w = filter.weight((x + xmin - center + 0.5) * ss);
                    weights[base + x] = w;
                    ww += w;
                }
                for (int x = 0; x < xmax; x++) {
                    if (ww != 0.0) {
                        weights[base + x] /= ww;
                    }
                }
                for (int x = 0; x < ksize; x++) {
                    double w = weights[base + x];
                    // Round half away from zero, as normalize_coeffs_8bpc does.
                    kk[base + x] = w < 0
                            ? (int) (-0.5 + w * (1 << PRECISION_BITS))
                            : (int) (0.5 + w * (1 << PRECISION_BITS));
                }
                bounds[2 * xx] = xmin;
                bounds[2 * xx + 1] = xmax;
            }
            return new Coefficients(ksize, bounds, kk);
        }
    }
}
