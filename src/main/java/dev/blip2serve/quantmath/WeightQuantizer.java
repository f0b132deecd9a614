package dev.blip2serve.quantmath;

/**
 * Round-to-nearest (RTN) weight quantization of {@code W [N out, K in]} (row-major, HF Linear layout), per
 * tensor, per output channel or per group of K.
 *
 * <p>Formulas (see {@link QuantKernels}): symmetric {@code s = max(max|w|, 1e-5) / (2^(b-1)-1)},
 * {@code q = clamp(rint(w/s), -qmax, qmax)}, the narrow range SmoothQuant's {@code quantize_weight_per_*_absmax}
 * uses (int8 -127..127); asymmetric as AWQ's {@code pseudo_quantize_tensor} ({@code s = (max-min)/(2^b-1)},
 * {@code z = clamp(-rint(min/s))}) with the range widened to contain 0 as ONNX Runtime's MLAS quantizer does.
 * Rounding is half-to-even like {@code torch.round}.
 *
 * <p>All methods run over rows in parallel for large tensors and never allocate per element.
 */
public final class WeightQuantizer {

    private WeightQuantizer() {
    }

    /**
     * Quantizes {@code w [n, k]} to codes, scales and zero points.
     *
     * @throws IllegalArgumentException on a shape mismatch, a group size that does not divide K, or an
     *                                  activation-only granularity (PER_TOKEN)
     */
    public static QuantizedWeight quantize(float[] w, int n, int k, QuantSpec spec) {
        requireWeightSpec(spec, w, n, k);
        byte[] codes = new byte[w.length];
        int blocks = spec.scaleCount(n, k);
        float[] scales = new float[blocks];
        byte[] zeros = spec.symmetric() ? null : new byte[blocks];
        int qmax = spec.qmax();
        if (spec.granularity() == QuantSpec.Granularity.PER_TENSOR) {
            float s = QuantKernels.blockScale(w, 0, w.length, spec);
            int z = QuantKernels.blockZero(w, 0, w.length, s, spec);
            scales[0] = s;
            if (zeros != null) {
                zeros[0] = (byte) z;
            }
            Parallel.forRange(n, k, (from, to) -> encode(w, codes, from * k, (to - from) * k, s, z, spec));
            return new QuantizedWeight(spec, n, k, codes, scales, zeros);
        }
        int block = spec.blockLength(k);
        int perRow = spec.blocksPerRow(k);
        Parallel.forRange(n, k, (from, to) -> {
            for (int b = from * perRow, end = to * perRow; b < end; b++) {
                int off = b * block;
                if (spec.symmetric()) {
                    float s = QuantKernels.symmetricScale(QuantKernels.absMax(w, off, block), qmax);
                    scales[b] = s;
                    QuantKernels.encodeSymmetric(w, off, codes, off, block, s, qmax);
                } else {
                    float lo = QuantKernels.min(w, off, block);
                    float s = QuantKernels.asymmetricScale(lo, QuantKernels.max(w, off, block), qmax);
                    int z = QuantKernels.asymmetricZero(lo, s, qmax);
                    scales[b] = s;
                    zeros[b] = (byte) z;
                    QuantKernels.encodeAsymmetric(w, off, codes, off, block, s, z, qmax);
                }
            }
        });
        return new QuantizedWeight(spec, n, k, codes, scales, zeros);
    }

    /** {@code (code - zero) * scale} as a new {@code [N, K]} array. */
    public static float[] dequantize(QuantizedWeight q) {
        return q.dequantize();
    }

    /** Replaces {@code w [n, k]} by its quantize-dequantize image, in place (no copy of the weight). */
    public static void fakeQuantize(float[] w, int n, int k, QuantSpec spec) {
        fakeQuantize(w, w, n, k, spec);
    }

    /** The quantize-dequantize image of {@code w [n, k]} as a new array; {@code w} is unchanged. */
    public static float[] fakeQuantized(float[] w, int n, int k, QuantSpec spec) {
        float[] out = new float[w.length];
        fakeQuantize(w, out, n, k, spec);
        return out;
    }

    private static void fakeQuantize(float[] src, float[] dst, int n, int k, QuantSpec spec) {
        requireWeightSpec(spec, src, n, k);
        QuantKernels.fakeQuantMatrix(src, dst, n, k, spec);
    }

    private static void encode(float[] w, byte[] codes, int off, int len, float s, int z, QuantSpec spec) {
        if (spec.symmetric()) {
            QuantKernels.encodeSymmetric(w, off, codes, off, len, s, spec.qmax());
        } else {
            QuantKernels.encodeAsymmetric(w, off, codes, off, len, s, z, spec.qmax());
        }
    }

    static void requireWeightSpec(QuantSpec spec, float[] w, int n, int k) {
        if (spec == null) {
            throw new IllegalArgumentException("weight spec must not be null");
        }
        if (spec.granularity() == QuantSpec.Granularity.PER_TOKEN) {
            throw new IllegalArgumentException("PER_TOKEN is an activation granularity; weights use PER_CHANNEL");
        }
        FloatMatrix.requireShape(w, n, k, "W");
        spec.requireCols(k);
    }
}
