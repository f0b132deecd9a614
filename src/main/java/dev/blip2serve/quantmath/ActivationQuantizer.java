package dev.blip2serve.quantmath;

/**
 * Simulated (fake) dynamic quantization of activations {@code X [rows, K]}: per tensor, per token (row), or per
 * token per group of K. This is the Java twin of the subgraph the W8A8 / W4A4 variants compute at run time, so
 * searches see exactly the error the graph will make.
 *
 * <p>Symmetric, with {@code qmax = 2^(b-1)-1} and {@code m} the max |x| of the block (ReduceMax over the whole
 * tensor, over the last axis, or over the last axis of X reshaped to {@code [rows, K/g, g]}):
 * <pre>
 *   s  = Max(m, 1e-5) / qmax
 *   x' = Clip(Round(x / s), -qmax, qmax) * s
 * </pre>
 * Asymmetric, with {@code qmax = 2^b-1}:
 * <pre>
 *   lo = Min(ReduceMin(x), 0); hi = Max(ReduceMax(x), 0)
 *   s  = Max(hi - lo, 1e-5) / qmax
 *   z  = Clip(Round(-lo / s), 0, qmax)
 *   x' = (Clip(Round(x / s) + z, 0, qmax) - z) * s
 * </pre>
 * {@code Round} is ONNX Round (half to even) and {@code x / s} is a true Div, as here. The 1e-5 floor keeps an
 * all-zero token (padding) at exact zeros instead of 0/0; it is the floor of SmoothQuant's
 * {@code quantize_activation_per_token_absmax}. For 8-bit asymmetric per tensor this is ONNX
 * DynamicQuantizeLinear's arithmetic, apart from the floor.
 */
public final class ActivationQuantizer {

    private ActivationQuantizer() {
    }

    /** Replaces {@code x [rows, k]} by its fake-quantized image, in place. */
    public static void fakeQuantize(float[] x, int rows, int k, QuantSpec spec) {
        fakeQuantize(x, x, rows, k, spec);
    }

    /** The fake-quantized image of {@code x [rows, k]} as a new array. */
    public static float[] fakeQuantized(float[] x, int rows, int k, QuantSpec spec) {
        float[] out = new float[x.length];
        fakeQuantize(x, out, rows, k, spec);
        return out;
    }

    private static void fakeQuantize(float[] src, float[] dst, int rows, int k, QuantSpec spec) {
        requireActivationSpec(spec, src, rows, k);
        QuantKernels.fakeQuantMatrix(src, dst, rows, k, spec);
    }

    static void requireActivationSpec(QuantSpec spec, float[] x, int rows, int k) {
        if (spec == null) {
            throw new IllegalArgumentException("activation spec must not be null");
        }
        if (spec.granularity() == QuantSpec.Granularity.PER_CHANNEL) {
            throw new IllegalArgumentException(
                    "PER_CHANNEL is a weight granularity; activations use PER_TOKEN (per row)");
        }
        FloatMatrix.requireShape(x, rows, k, "X");
        spec.requireCols(k);
    }
}
