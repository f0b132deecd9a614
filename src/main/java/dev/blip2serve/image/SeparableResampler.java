package dev.blip2serve.image;

import java.util.Arrays;

/**
 * The fixed-point two-pass convolution shared by Pillow's 8-bit resampler and PyTorch's uint8 antialiased
 * interpolation (a port of Pillow-SIMD): horizontal pass first, then vertical, each only when that dimension
 * changes, with an 8-bit (clipped) intermediate image. Only the coefficients differ between the two
 * libraries; see {@link PilResize} and {@link TorchResize}.
 *
 * <p>Per output sample: {@code clamp((2^(p-1) + sum(pixel * k)) >> p, 0, 255)} with integer coefficients
 * {@code k} of {@code p} fraction bits. All sums are exact in 32-bit ints, so the summation order does not
 * matter.
 */
final class SeparableResampler {

    private SeparableResampler() {
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
            current = horizontalPass(src, width, channels, firstRow, lastRow, outWidth, horizontal);
            curWidth = outWidth;
            rowOffset = firstRow;
        }
        if (vertical != null) {
            current = verticalPass(current, curWidth, channels, rowOffset, outHeight, vertical);
        }
        return current;
    }

    // Output row y holds source row (y + firstRow) resampled to outWidth.
    private static byte[] horizontalPass(byte[] src, int width, int channels, int firstRow, int lastRow,
                                         int outWidth, Kernel k) {
        int rows = lastRow - firstRow;
        int p = k.precision();
        int[] bounds = k.bounds();
        int[] kk = k.kk();
        byte[] out = new byte[rows * outWidth * channels];
        int[] acc = new int[channels];
        for (int y = 0; y < rows; y++) {
            int srcRow = (y + firstRow) * width * channels;
            int dstRow = y * outWidth * channels;
            for (int xx = 0; xx < outWidth; xx++) {
                int xmin = bounds[2 * xx];
                int count = bounds[2 * xx + 1];
                int kbase = xx * k.ksize();
                Arrays.fill(acc, 1 << (p - 1)); // +0.5 so that the shift rounds
                for (int x = 0; x < count; x++) {
                    int w = kk[kbase + x];
                    int s = srcRow + (x + xmin) * channels;
                    for (int c = 0; c < channels; c++) {
                        acc[c] += (src[s + c] & 0xff) * w;
                    }
                }
                for (int c = 0; c < channels; c++) {
                    out[dstRow + xx * channels + c] = clip8(acc[c], p);
                }
            }
        }
        return out;
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

    /** Drop the fraction bits (arithmetic shift: floor), clamp to 0..255. */
    private static byte clip8(int acc, int precision) {
        int v = acc >> precision;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }
}
