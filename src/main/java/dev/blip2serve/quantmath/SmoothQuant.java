package dev.blip2serve.quantmath;

import java.util.List;

/**
 * SmoothQuant's per-input-channel smoothing (Xiao et al., mit-han-lab/smoothquant {@code smooth.py}):
 * <pre>
 *   s_j = max( max|X_j|^alpha / max(max_i |W_ij|, 1e-5)^(1-alpha), 1e-5 )
 * </pre>
 * where {@code max|X_j|} is the calibration abs-max of input channel j and the weight max runs over the rows of
 * every linear that reads this input (q, k and v share one s). Then {@code X' = X / s} and {@code W' = W * s}
 * (column j of every weight times s_j), so {@code X' W'^T = X W^T} exactly in real arithmetic.
 *
 * <p>The division of X is folded where that is exact: into the preceding LayerNorm ({@code gamma / s},
 * {@code beta / s}), or into the preceding linear's output rows ({@code fc1 -> ReLU -> fc2}, since ReLU is
 * positively homogeneous); otherwise the graph multiplies by {@link #reciprocal(float[])} explicitly.
 */
public final class SmoothQuant {

    /** Floor applied to the weight max and to the final scale, as in smooth.py. */
    public static final float SCALE_FLOOR = 1e-5f;

    private SmoothQuant() {
    }

    /**
     * @throws IllegalArgumentException unless {@code 0 <= alpha <= 1}
     */
    public static void requireAlpha(double alpha) {
        if (!(alpha >= 0.0 && alpha <= 1.0)) {
            throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        }
    }

    /** {@code max_i |W_ij|} per input channel j over every row of every weight {@code [N_l, K]}: {@code [K]}. */
    public static float[] weightAbsMaxPerInputChannel(List<FloatMatrix> weights) {
        int k = requireSameK(weights);
        float[] out = new float[k];
        for (FloatMatrix w : weights) {
            float[] d = w.data();
            for (int r = 0; r < w.rows(); r++) {
                int off = r * k;
                for (int j = 0; j < k; j++) {
                    out[j] = Math.max(out[j], Math.abs(d[off + j]));
                }
            }
        }
        return out;
    }

    /** Smoothing scales {@code [K]} from activation and weight abs-max per input channel. */
    public static float[] scales(float[] actAbsMax, float[] weightAbsMax, double alpha) {
        requireAlpha(alpha);
        if (actAbsMax == null || weightAbsMax == null || actAbsMax.length != weightAbsMax.length) {
            throw new IllegalArgumentException("activation and weight abs-max must both have K entries");
        }
        float[] s = new float[actAbsMax.length];
        for (int j = 0; j < s.length; j++) {
            float a = (float) Math.pow(actAbsMax[j], alpha);
            float w = (float) Math.pow(Math.max(weightAbsMax[j], SCALE_FLOOR), 1.0 - alpha);
            s[j] = Math.max(a / w, SCALE_FLOOR);
        }
        return s;
    }

    /** Smoothing scales {@code [K]} for the linears that share one input. */
    public static float[] scales(float[] actAbsMax, List<FloatMatrix> weights, double alpha) {
        requireAlpha(alpha);
        return scales(actAbsMax, weightAbsMaxPerInputChannel(weights), alpha);
    }

    /** {@code W[:, j] *= s[j]} in place for {@code w [n, k]}. */
    public static void scaleWeightColumns(float[] w, int n, int k, float[] s) {
        FloatMatrix.requireShape(w, n, k, "W");
        requireLength(s, k, "s");
        Parallel.forRange(n, k, (from, to) -> {
            for (int r = from; r < to; r++) {
                int off = r * k;
                for (int j = 0; j < k; j++) {
                    w[off + j] *= s[j];
                }
            }
        });
    }

    /** {@code W[:, j] *= s[j]} in place for every linear of the group sharing the smoothed input. */
    public static void scaleWeightColumns(List<FloatMatrix> weights, float[] s) {
        requireSameK(weights);
        for (FloatMatrix w : weights) {
            scaleWeightColumns(w.data(), w.rows(), w.cols(), s);
        }
    }

    /** {@code X[:, j] /= s[j]} in place for {@code x [rows, k]} (a calibration sample, or a test). */
    public static void divideColumns(float[] x, int rows, int k, float[] s) {
        FloatMatrix.requireShape(x, rows, k, "X");
        requireLength(s, k, "s");
        Parallel.forRange(rows, k, (from, to) -> {
            for (int r = from; r < to; r++) {
                int off = r * k;
                for (int j = 0; j < k; j++) {
                    x[off + j] /= s[j];
                }
            }
        });
    }

    /**
     * Folds {@code 1/s} into what produces the smoothed input: rows {@code rowOffset + j} of {@code a} (each
     * {@code rowLength} values) are divided by {@code s[j]}. A LayerNorm's weight or bias is {@code rowLength = 1}; the
     * preceding linear's weight {@code [kOut, kIn]} is {@code rowLength = kIn} (its bias: 1), {@code rowOffset} the
     * first of its output rows that feed this input (a fused q/k/v weight feeds {@code out_proj} from v's rows). Exact
     * through ReLU, not GELU.
     */
    public static void divideRows(float[] a, int rowOffset, int rowLength, float[] s) {
        if (rowOffset < 0 || rowLength < 1 || (long) (rowOffset + s.length) * rowLength > a.length) {
            throw new IllegalArgumentException("rows " + rowOffset + ".." + (rowOffset + s.length) + " of length " + rowLength
                    + " do not fit in " + a.length + " values");
        }
        for (int j = 0; j < s.length; j++) {
            int off = (rowOffset + j) * rowLength;
            for (int i = 0; i < rowLength; i++) {
                a[off + i] /= s[j];
            }
        }
    }

    /** {@code 1 / s} per channel, for an explicit {@code Mul} in front of the linears. */
    public static float[] reciprocal(float[] s) {
        float[] out = new float[s.length];
        for (int j = 0; j < s.length; j++) {
            out[j] = 1f / s[j];
        }
        return out;
    }

    static int requireSameK(List<FloatMatrix> weights) {
        if (weights == null || weights.isEmpty()) {
            throw new IllegalArgumentException("at least one weight is needed");
        }
        int k = weights.get(0).cols();
        for (FloatMatrix w : weights) {
            if (w.cols() != k) {
                throw new IllegalArgumentException("linears sharing an input must have the same K: " + k + " vs "
                        + w.cols());
            }
        }
        return k;
    }

    static void requireLength(float[] a, int n, String name) {
        if (a == null || a.length != n) {
            throw new IllegalArgumentException(name + " must have " + n + " entries, got "
                    + (a == null ? "null" : a.length));
        }
    }
}
