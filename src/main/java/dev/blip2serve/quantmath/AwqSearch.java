package dev.blip2serve.quantmath;

import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * AWQ's activation-aware scale search (Lin et al., mit-han-lab/llm-awq {@code auto_scale.py},
 * {@code _search_module_scale}) for one group of linears that share an input (q/k/v, or out_proj, fc1, fc2).
 *
 * <p>For each ratio {@code r = g / gridSize}, {@code g = 0 .. gridSize-1} (0, 0.05, ..., 0.95 by default):
 * <pre>
 *   s_j  = max(mean|x_j|^r, 1e-4);   s = s / sqrt(max(s) * min(s))
 *   loss = sum over the linears of  mean_{rows, outputs} ( Q(W*s) (X/s)^T - W X^T )^2
 * </pre>
 * with Q the weight quantizer of the given {@link QuantSpec}; the ratio with the strictly smallest loss wins,
 * so ties keep the smaller ratio and ratio 0 (s = 1, plain RTN) is the fallback. {@code mean|x_j|} is
 * {@code get_act_scale}: the mean absolute activation per input channel over the calibration set.
 *
 * <p>Where the error is measured: for the q/k/v group of a self-attention at the output of the whole block
 * ({@link #search(AttentionBlockLoss, float[], QuantSpec, SearchGrid)}, llm-awq's {@code module2inspect}); for every
 * other group at each linear's output, which needs only the weights and an activation sample, capped at
 * {@link SearchGrid#maxRows()} evenly spaced rows.
 *
 * <p>Cost: {@code 2 * gridSize * rows * sum(N*K)} flops, spread over the common fork-join pool; memory: a few
 * rows of scratch per thread, never a copy of a weight.
 */
public final class AwqSearch {

    /**
     * @param bestRatio the ratio whose loss was smallest
     * @param scales    its scales {@code [K]}: multiply weight columns by them, divide the input by them
     * @param ratios    every ratio tried
     * @param losses    the loss of every ratio, same order (for the manifest)
     */
    public record Result(double bestRatio, float[] scales, double[] ratios, double[] losses) {
        /** Loss at the chosen ratio. */
        public double bestLoss() {
            return losses[bestIndex()];
        }

        /** Loss at ratio 0, i.e. of plain RTN. */
        public double rtnLoss() {
            return losses[0];
        }

        /** Index of {@link #bestRatio()} in {@link #ratios()}. */
        public int bestIndex() {
            for (int i = 0; i < ratios.length; i++) {
                if (ratios[i] == bestRatio) {
                    return i;
                }
            }
            throw new IllegalStateException("best ratio not in the grid");
        }

        @Override
        public String toString() {
            return "AwqSearch.Result[bestRatio=" + bestRatio + ", bestLoss=" + bestLoss() + ", losses="
                    + Arrays.toString(losses) + "]";
        }
    }

    /** Floor on {@code mean|x|^r} before normalisation, as in auto_scale.py. */
    public static final float SCALE_FLOOR = 1e-4f;

    private AwqSearch() {
    }

    /** {@link #search(List, FloatMatrix, float[], QuantSpec, SearchGrid)} with {@link SearchGrid#DEFAULT}. */
    public static Result search(List<FloatMatrix> weights, FloatMatrix x, float[] xMeanAbs, QuantSpec spec) {
        return search(weights, x, xMeanAbs, spec, SearchGrid.DEFAULT);
    }

    /**
     * Searches the scaling ratio for linears {@code weights} (each {@code [N_l, K]}) that read input {@code x}.
     *
     * @param weights  the linears sharing the input, unchanged
     * @param x        calibration activation sample {@code [rows, K]} (the unscaled input)
     * @param xMeanAbs mean |x| per input channel {@code [K]} over the calibration set
     * @param spec     the weight quantizer to search for (typically 4-bit asymmetric, group 128)
     * @throws IllegalStateException when no ratio gives a finite loss
     */
    public static Result search(List<FloatMatrix> weights, FloatMatrix x, float[] xMeanAbs, QuantSpec spec,
            SearchGrid options) {
        int k = requireInputs(weights, x, spec);
        SmoothQuant.requireLength(xMeanAbs, k, "mean|x|");
        FloatMatrix sample = x.sampleRows(options.maxRows());
        return search(xMeanAbs, options.gridSize(), s -> {
            double loss = 0.0;
            for (FloatMatrix w : weights) {
                loss += OutputLoss.weightOnly(w, sample, s, spec);
            }
            return loss;
        });
    }

    /**
     * Searches the ratio for the q/k/v group of a self-attention with the error measured at the block's output
     * (llm-awq's {@code module2inspect}); the loss's sample is used whole.
     *
     * @param block    the attention block and its calibration sequences
     * @param xMeanAbs mean |x| per input channel {@code [K]} over the calibration set
     * @param spec     the weight quantizer to search for
     * @throws IllegalStateException when no ratio gives a finite loss
     */
    public static Result search(AttentionBlockLoss block, float[] xMeanAbs, QuantSpec spec, SearchGrid options) {
        SmoothQuant.requireLength(xMeanAbs, block.block().inFeatures(), "mean|x|");
        return search(xMeanAbs, options.gridSize(), s -> block.loss(s, spec, null));
    }

    private static Result search(float[] xMeanAbs, int grid, ToDoubleFunction<float[]> lossOf) {
        double[] ratios = new double[grid];
        double[] losses = new double[grid];
        double bestLoss = Double.POSITIVE_INFINITY;
        int best = -1;
        float[] bestScales = null;
        for (int g = 0; g < grid; g++) {
            ratios[g] = (double) g / grid;
            float[] s = scalesForRatio(xMeanAbs, ratios[g]);
            losses[g] = lossOf.applyAsDouble(s);
            if (losses[g] < bestLoss) {
                bestLoss = losses[g];
                best = g;
                bestScales = s;
            }
        }
        if (best < 0) {
            throw new IllegalStateException("AWQ search found no finite loss: " + Arrays.toString(losses));
        }
        return new Result(ratios[best], bestScales, ratios, losses);
    }

    /** AWQ's scales for one ratio: {@code max(m^r, 1e-4)} normalised by {@code sqrt(max * min)}. */
    public static float[] scalesForRatio(float[] xMeanAbs, double ratio) {
        float[] s = new float[xMeanAbs.length];
        float max = Float.NEGATIVE_INFINITY;
        float min = Float.POSITIVE_INFINITY;
        for (int j = 0; j < s.length; j++) {
            s[j] = Math.max((float) Math.pow(xMeanAbs[j], ratio), SCALE_FLOOR);
            max = Math.max(max, s[j]);
            min = Math.min(min, s[j]);
        }
        float norm = (float) Math.sqrt(max * min);
        for (int j = 0; j < s.length; j++) {
            s[j] /= norm;
        }
        return s;
    }

    /**
     * The search loss for given scales ({@code null}: unscaled, i.e. RTN), summed over {@code weights}, on the
     * whole of {@code x} (no subsampling).
     */
    public static double loss(List<FloatMatrix> weights, FloatMatrix x, float[] scales, QuantSpec spec) {
        int k = requireInputs(weights, x, spec);
        if (scales != null) {
            SmoothQuant.requireLength(scales, k, "scales");
        }
        double loss = 0.0;
        for (FloatMatrix w : weights) {
            loss += OutputLoss.weightOnly(w, x, scales, spec);
        }
        return loss;
    }

    /** Mean |x| per column of {@code x [rows, K]} (llm-awq's get_act_scale), accumulated in double. */
    public static float[] meanAbs(FloatMatrix x) {
        double[] acc = new double[x.cols()];
        float[] d = x.data();
        for (int r = 0, off = 0; r < x.rows(); r++, off += x.cols()) {
            for (int j = 0; j < acc.length; j++) {
                acc[j] += Math.abs(d[off + j]);
            }
        }
        float[] out = new float[acc.length];
        for (int j = 0; j < out.length; j++) {
            out[j] = (float) (acc[j] / x.rows());
        }
        return out;
    }

    static int requireInputs(List<FloatMatrix> weights, FloatMatrix x, QuantSpec spec) {
        int k = SmoothQuant.requireSameK(weights);
        if (x == null || x.cols() != k) {
            throw new IllegalArgumentException(
                    "activation sample must have K = " + k + " columns, got " + (x == null ? "null" : x.cols()));
        }
        for (FloatMatrix w : weights) {
            WeightQuantizer.requireWeightSpec(spec, w.data(), w.rows(), w.cols());
        }
        return k;
    }
}
