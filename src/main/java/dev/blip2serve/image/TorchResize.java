package dev.blip2serve.image;

import java.util.Objects;

/**
 * PyTorch's {@code F.interpolate(uint8_image, size, mode="bicubic"|"bilinear", antialias=True)} on CPU,
 * reproduced bit for bit. This is what transformers' default {@code BlipImageProcessor} (the torchvision backend,
 * {@code torchvision.transforms.v2.functional.resize} on a uint8 tensor) computes; it is not Pillow.
 *
 * <p>PyTorch's uint8 path is a port of Pillow-SIMD: the same bounds and double-precision weights as Pillow
 * (support stretched by the downscale factor, center {@code (i + 0.5) * in/out}, weights normalized to sum 1),
 * the same horizontal-then-vertical passes with an 8-bit intermediate, but:
 * <ul>
 *   <li>coefficients are <b>int16</b> with a precision {@code p} chosen per direction as the largest (below 22)
 *       for which the largest weight still fits, instead of Pillow's fixed 22 bits; so results differ from
 *       Pillow by one level here and there;</li>
 *   <li>the bicubic kernel for {@code 1 <= |x| < 2} is evaluated as {@code ((a x - 5a) x + 8a) x - 4a}
 *       (ATen's {@code cubic_convolution2}), which rounds differently from Pillow's expression.</li>
 * </ul>
 * The AVX2 kernels and the generic fallback of ATen compute exactly these integer sums, so the result does not
 * depend on the CPU.
 */
public final class TorchResize {

    /** ATen caps the int16 weight precision search below this. */
    static final int MAX_PRECISION = 22;

    private TorchResize() {
    }

    /** The interpolation modes ATen supports on uint8 with antialiasing. */
    public enum Mode {
        /** {@code mode="bilinear"}: triangle filter, support 1. */
        BILINEAR(2),
        /** {@code mode="bicubic"}: Keys cubic with a = -0.5 (antialias=True), support 2. */
        BICUBIC(4);

        private final int interpSize;

        Mode(int interpSize) {
            this.interpSize = interpSize;
        }

        /**
         * The mode torchvision uses for a PIL {@code resample} filter, as transformers maps it.
         *
         * @throws IllegalArgumentException for filters torch cannot interpolate with (BOX, HAMMING)
         */
        public static Mode forPilFilter(PilResize.Filter filter) {
            return switch (filter) {
                case BILINEAR -> BILINEAR;
                case BICUBIC -> BICUBIC;
                // transformers warns that the torchvision backend has no LANCZOS and substitutes BICUBIC.
                case LANCZOS -> BICUBIC;
                case BOX, HAMMING -> throw new IllegalArgumentException(
                        "resample " + filter + " has no torchvision equivalent; use the PIL backend");
            };
        }

        double weight(double x) {
            x = Math.abs(x);
            if (this == BILINEAR) {
                return x < 1.0 ? 1.0 - x : 0.0;
            }
            final double a = -0.5;
            if (x < 1.0) {
                return ((a + 2) * x - (a + 3)) * x * x + 1; // cubic_convolution1
            }
            if (x < 2.0) {
                return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; // cubic_convolution2
            }
            return 0.0;
        }
    }

    /**
     * Resizes an interleaved 8-bit image like {@code F.interpolate(..., antialias=True)} on a uint8 tensor.
     *
     * @param pixels    source, {@code [height][width][channels]} flattened, unsigned bytes
     * @param width     source width
     * @param height    source height
     * @param channels  channels per pixel, 1..4
     * @param outWidth  target width, positive
     * @param outHeight target height, positive
     * @param mode      bilinear or bicubic
     * @return a new array {@code [outHeight][outWidth][channels]}
     */
    public static byte[] resize(byte[] pixels, int width, int height, int channels,
                                int outWidth, int outHeight, Mode mode) {
        Objects.requireNonNull(pixels, "pixels");
        Objects.requireNonNull(mode, "mode");
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
        return SeparableResampler.run(pixels, width, height, channels, outWidth, outHeight,
                outWidth != width ? kernel(width, outWidth, mode) : null,
                outHeight != height ? kernel(height, outHeight, mode) : null);
    }

    /** ATen's {@code _compute_index_ranges_int16_weights} with antialias=True, align_corners=False. */
    static SeparableResampler.Kernel kernel(int inSize, int outSize, Mode mode) {
        double scale = (double) inSize / outSize; // area_pixel_compute_scale without an explicit scale factor
        double support = scale >= 1.0 ? (mode.interpSize * 0.5) * scale : mode.interpSize * 0.5;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        if ((long) outSize * ksize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("resize " + inSize + " -> " + outSize + " is too large");
        }
        double invScale = scale >= 1.0 ? 1.0 / scale : 1.0;
        int[] bounds = new int[2 * outSize];
        double[] w = new double[outSize * ksize];
        double wMax = 0.0;
        for (int i = 0; i < outSize; i++) {
            double center = scale * (i + 0.5);
            // static_cast<int64_t> truncates toward zero like Java's (long) cast.
            long xmin = Math.max((long) (center - support + 0.5), 0L);
            long xsize = Math.min((long) (center + support + 0.5), inSize) - xmin;
            xsize = Math.clamp(xsize, 0L, ksize);
            int base = i * ksize;
            double total = 0.0;
            for (int j = 0; j < xsize; j++) {
                double v = mode.weight((j + xmin - center + 0.5) * invScale);
                w[base + j] = v;
                total += v;
            }
            if (total != 0.0) {
                for (int j = 0; j < xsize; j++) {
                    w[base + j] /= total;
                    wMax = Math.max(wMax, w[base + j]);
                }
            }
            bounds[2 * i] = (int) xmin;
            bounds[2 * i + 1] = (int) xsize;
        }
        // Largest precision whose doubled largest weight still rounds below 2^15 (int16 headroom).
        int precision;
        for (precision = 0; precision < MAX_PRECISION; precision++) {
            int next = (int) (0.5 + wMax * (1 << (precision + 1)));
            if (next >= (1 << 15)) {
                break;
            }
        }
        int[] kk = new int[w.length];
        for (int i = 0; i < w.length; i++) {
            double v = w[i] * (1 << precision);
            kk[i] = (short) (v < 0 ? (int) (-0.5 + v) : (int) (0.5 + v)); // stored as int16_t
        }
        return new SeparableResampler.Kernel(ksize, bounds, kk, precision);
    }
}
