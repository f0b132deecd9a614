package dev.blip2serve.quantmath;

/**
 * The element-level formulas every quantizer in this package shares (weights and activations alike).
 *
 * <p>Symmetric, for a block with {@code m = max|x|} and {@code qmax = 2^(b-1)-1}:
 * {@code s = max(m, 1e-5) / qmax}, {@code q = clamp(rint(x / s), -qmax, qmax)}, {@code x' = q * s}.
 *
 * <p>Asymmetric, for a block with {@code lo = min(min x, 0)}, {@code hi = max(max x, 0)} and
 * {@code qmax = 2^b-1}: {@code s = max(hi - lo, 1e-5) / qmax}, {@code z = clamp(rint(-lo / s), 0, qmax)},
 * {@code q = clamp(rint(x / s) + z, 0, qmax)}, {@code x' = (q - z) * s}.
 *
 * <p>{@code rint} is round-half-to-even (torch.round, ONNX Round). All arithmetic is float32 with true
 * division, as torch does it; the 1e-5 floor is the one SmoothQuant's fake_quant and AWQ's
 * pseudo_quantize_tensor apply, so an all-zero block gets a tiny positive scale and quantizes to exact zeros.
 * Widening the asymmetric range to include 0 is what ONNX Runtime's MLAS blockwise quantizer and ONNX
 * DynamicQuantizeLinear do; AWQ does not, but for any block that straddles zero (every real weight group)
 * the two agree, and with zero inside the range the zero point never saturates, so
 * {@code |x - x'| <= s/2} holds for every element.
 */
final class QuantKernels {

    /** Floor on max|x| (symmetric) or max - min (asymmetric) before dividing by the level count. */
    static final float MIN_RANGE = 1e-5f;

    private QuantKernels() {
    }

    static float symmetricScale(float absMax, int qmax) {
        return Math.max(absMax, MIN_RANGE) / qmax;
    }

    static float asymmetricScale(float min, float max, int qmax) {
        float lo = Math.min(min, 0f);
        float hi = Math.max(max, 0f);
        return Math.max(hi - lo, MIN_RANGE) / qmax;
    }

    static int asymmetricZero(float min, float scale, int qmax) {
        float z = (float) Math.rint(-Math.min(min, 0f) / scale);
        return (int) Math.min(Math.max(z, 0f), (float) qmax);
    }

    static float absMax(float[] a, int off, int len) {
        float m = 0f;
        for (int i = off, end = off + len; i < end; i++) {
            m = Math.max(m, Math.abs(a[i]));
        }
        return m;
    }

    static float min(float[] a, int off, int len) {
        float m = Float.POSITIVE_INFINITY;
        for (int i = off, end = off + len; i < end; i++) {
            m = Math.min(m, a[i]);
        }
        return m;
    }

    static float max(float[] a, int off, int len) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = off, end = off + len; i < end; i++) {
            m = Math.max(m, a[i]);
        }
        return m;
    }

    /** dst[dOff..+len) = fake-quantized src[sOff..+len) on a symmetric grid; dst may be src. */
    static void fakeSymmetric(float[] src, int sOff, float[] dst, int dOff, int len, float scale, int qmax) {
        float lo = -qmax;
        float hi = qmax;
        for (int i = 0; i < len; i++) {
            // + 0f turns rint's -0 into +0, so the image equals (code - 0) * scale bit for bit
            float q = (float) Math.rint(src[sOff + i] / scale) + 0f;
            q = Math.min(Math.max(q, lo), hi);
            dst[dOff + i] = q * scale;
        }
    }

    /** dst[dOff..+len) = fake-quantized src[sOff..+len) on an asymmetric grid; dst may be src. */
    static void fakeAsymmetric(float[] src, int sOff, float[] dst, int dOff, int len, float scale, int zero,
            int qmax) {
        float z = zero;
        float hi = qmax;
        for (int i = 0; i < len; i++) {
            float q = (float) Math.rint(src[sOff + i] / scale) + z;
            q = Math.min(Math.max(q, 0f), hi);
            dst[dOff + i] = (q - z) * scale;
        }
    }

    static void encodeSymmetric(float[] src, int sOff, byte[] codes, int cOff, int len, float scale, int qmax) {
        float lo = -qmax;
        float hi = qmax;
        for (int i = 0; i < len; i++) {
            float q = (float) Math.rint(src[sOff + i] / scale);
            codes[cOff + i] = (byte) (int) Math.min(Math.max(q, lo), hi);
        }
    }

    static void encodeAsymmetric(float[] src, int sOff, byte[] codes, int cOff, int len, float scale, int zero,
            int qmax) {
        float z = zero;
        float hi = qmax;
        for (int i = 0; i < len; i++) {
            float q = (float) Math.rint(src[sOff + i] / scale) + z;
            codes[cOff + i] = (byte) (int) Math.min(Math.max(q, 0f), hi);
        }
    }

    /** Scale of one block (or of a whole tensor for PER_TENSOR). */
    static float blockScale(float[] a, int off, int len, QuantSpec spec) {
        return spec.symmetric()
                ? symmetricScale(absMax(a, off, len), spec.qmax())
                : asymmetricScale(min(a, off, len), max(a, off, len), spec.qmax());
    }

    /** Zero point of one block, given its scale (0 when symmetric). */
    static int blockZero(float[] a, int off, int len, float scale, QuantSpec spec) {
        return spec.symmetric() ? 0 : asymmetricZero(min(a, off, len), scale, spec.qmax());
    }

    /**
     * Quantize-dequantizes a validated {@code src [rows, k]} into {@code dst} (which may be {@code src}): one scale
     * for the whole tensor, or per row / per group along K as the spec says; rows in parallel.
     */
    static void fakeQuantMatrix(float[] src, float[] dst, int rows, int k, QuantSpec spec) {
        float s = 0f;
        int z = 0;
        if (spec.granularity() == QuantSpec.Granularity.PER_TENSOR) {
            s = blockScale(src, 0, src.length, spec);
            z = blockZero(src, 0, src.length, s, spec);
        }
        float scale = s;
        int zero = z;
        Parallel.forRange(rows, k, (from, to) -> fakeQuantRows(src, dst, from, to, k, spec, scale, zero));
    }

    /**
     * Fake-quantizes rows [r0, r1) of a row-major {@code [rows, cols]} tensor from {@code src} into {@code dst}
     * (which may be {@code src}). For PER_TENSOR the caller passes the tensor-wide scale and zero point
     * (computed once over the whole tensor); other granularities compute their own per block and ignore them.
     */
    static void fakeQuantRows(float[] src, float[] dst, int r0, int r1, int cols, QuantSpec spec,
            float tensorScale, int tensorZero) {
        int qmax = spec.qmax();
        boolean sym = spec.symmetric();
        if (spec.granularity() == QuantSpec.Granularity.PER_TENSOR) {
            int off = r0 * cols;
            int len = (r1 - r0) * cols;
            if (sym) {
                fakeSymmetric(src, off, dst, off, len, tensorScale, qmax);
            } else {
                fakeAsymmetric(src, off, dst, off, len, tensorScale, tensorZero, qmax);
            }
            return;
        }
        int block = spec.blockLength(cols);
        for (int off = r0 * cols, end = r1 * cols; off < end; off += block) {
            if (sym) {
                float s = symmetricScale(absMax(src, off, block), qmax);
                fakeSymmetric(src, off, dst, off, block, s, qmax);
            } else {
                float lo = min(src, off, block);
                float s = asymmetricScale(lo, max(src, off, block), qmax);
                fakeAsymmetric(src, off, dst, off, block, s, asymmetricZero(lo, s, qmax), qmax);
            }
        }
    }
}
