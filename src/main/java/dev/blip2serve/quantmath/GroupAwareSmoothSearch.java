package dev.blip2serve.quantmath;

import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The seed paper's group-aware SmoothQuant ("SmoothQuant &amp; Activation Aware Weight Quantization for Vision
 * Language Models"): an AWQ-style grid search of the smoothing strength whose loss quantizes <em>both</em> the
 * weights and the activations with the groups the W4A4 variant will use:
 * <pre>
 *   loss(s) = sum over the linears of  mean_{rows, outputs} ( Qw(W*s) · Qa(X/s)^T - W X^T )^2
 * </pre>
 * Qw is the weight quantizer (e.g. 4-bit, group 128) and Qa the simulated activation quantizer
 * ({@link ActivationQuantizer}, e.g. 4-bit per token per group of 128).
 *
 * <p>Scale family (the choice made here): SmoothQuant's {@code s = max|X|^alpha / max|W|^(1-alpha)}
 * ({@link SmoothQuant#scales(float[], float[], double)}, same floors) over {@code alpha = g / gridSize},
 * {@code g = 0 .. gridSize} (0, 0.05, ..., 1.0 by default: both ends included, 21 points). This keeps the result
 * a plain SmoothQuant alpha per group of linears, so the chosen scales are exactly what vanilla SmoothQuant would
 * fold with that alpha, and the vanilla W4A4 preset (alpha 0.5) is one of the grid points: the search can only
 * match or beat it on the calibration sample. AWQ's {@code mean|x|^r} family is not used: it ignores the weight side,
 * while the W4A4 error depends on both ranges. No normalisation is applied: multiplying s by a
 * constant leaves group-wise absmax quantization of both sides unchanged (up to float rounding and the floors).
 * Ties keep the smaller alpha.
 */
public final class GroupAwareSmoothSearch {

    /**
     * @param bestAlpha      the alpha whose loss was smallest
     * @param scales         its smoothing scales {@code [K]} (W columns times s, input divided by s)
     * @param alphas         every alpha tried
     * @param losses         the loss of every alpha, same order (for the manifest)
     * @param unsmoothedLoss the loss with no smoothing at all (plain W4A4 RTN), for reference
     */
    public record Result(double bestAlpha, float[] scales, double[] alphas, double[] losses, double unsmoothedLoss) {
        /** Loss at the chosen alpha. */
        public double bestLoss() {
            return losses[bestIndex()];
        }

        /** Index of {@link #bestAlpha()} in {@link #alphas()}. */
        public int bestIndex() {
            for (int i = 0; i < alphas.length; i++) {
                if (alphas[i] == bestAlpha) {
                    return i;
                }
            }
            throw new IllegalStateException("best alpha not in the grid");
        }

        /** Loss at the grid alpha nearest to {@code alpha} (e.g. 0.5, vanilla SmoothQuant's default). */
        public double lossAt(double alpha) {
            int best = 0;
            for (int i = 1; i < alphas.length; i++) {
                if (Math.abs(alphas[i] - alpha) < Math.abs(alphas[best] - alpha)) {
                    best = i;
                }
            }
            return losses[best];
        }

        @Override
        public String toString() {
            return "GroupAwareSmoothSearch.Result[bestAlpha=" + bestAlpha + ", bestLoss=" + bestLoss()
                    + ", unsmoothedLoss=" + unsmoothedLoss + ", losses=" + Arrays.toString(losses) + "]";
        }
    }

    private GroupAwareSmoothSearch() {
    }

    /** {@link #search(List, FloatMatrix, float[], QuantSpec, QuantSpec, SearchGrid)} with {@link SearchGrid#DEFAULT}. */
    public static Result search(List<FloatMatrix> weights, FloatMatrix x, float[] actAbsMax, QuantSpec weightSpec,
            QuantSpec actSpec) {
        return search(weights, x, actAbsMax, weightSpec, actSpec, SearchGrid.DEFAULT);
    }

    /**
     * Searches alpha for linears {@code weights} (each {@code [N_l, K]}) reading input {@code x}.
     *
     * @param weights    the linears sharing the input, unchanged
     * @param x          calibration activation sample {@code [rows, K]} (unscaled input)
     * @param actAbsMax  max |x| per input channel {@code [K]} over the calibration set (SmoothQuant's act scales)
     * @param weightSpec weight quantizer (e.g. 4-bit, group 128)
     * @param actSpec    activation quantizer (e.g. 4-bit symmetric, per token per group of 128)
     * @throws IllegalStateException when no alpha gives a finite loss
     */
    public static Result search(List<FloatMatrix> weights, FloatMatrix x, float[] actAbsMax, QuantSpec weightSpec,
            QuantSpec actSpec, SearchGrid options) {
        int k = AwqSearch.requireInputs(weights, x, weightSpec);
        SmoothQuant.requireLength(actAbsMax, k, "max|x|");
        FloatMatrix sample = x.sampleRows(options.maxRows());
        ActivationQuantizer.requireActivationSpec(actSpec, sample.data(), sample.rows(), k);
        float[][] refs = new float[weights.size()][];
        for (int l = 0; l < refs.length; l++) {
            refs[l] = OutputLoss.reference(weights.get(l), sample);
        }
        float[] xq = new float[sample.data().length];
        return search(actAbsMax, SmoothQuant.weightAbsMaxPerInputChannel(weights), options.gridSize(),
                s -> lossOnSample(weights, sample, s, weightSpec, actSpec, refs, xq));
    }

    /**
     * Searches alpha for the q/k/v group of a self-attention with the error measured at the block's output, both
     * quantizers applied to the group (llm-awq's {@code module2inspect}, as in {@link AwqSearch}).
     *
     * @param block      the attention block and its calibration sequences
     * @param actAbsMax  max |x| per input channel {@code [K]} over the calibration set
     * @param weightSpec weight quantizer
     * @param actSpec    activation quantizer
     * @throws IllegalStateException when no alpha gives a finite loss
     */
    public static Result search(AttentionBlockLoss block, float[] actAbsMax, QuantSpec weightSpec, QuantSpec actSpec,
            SearchGrid options) {
        SmoothQuant.requireLength(actAbsMax, block.block().inFeatures(), "max|x|");
        return search(actAbsMax, SmoothQuant.weightAbsMaxPerInputChannel(block.block().linears()), options.gridSize(),
                s -> block.loss(s, weightSpec, actSpec));
    }

    private static Result search(float[] actAbsMax, float[] wMax, int grid, ToDoubleFunction<float[]> lossOf) {
        double[] alphas = new double[grid + 1];
        double[] losses = new double[grid + 1];
        double bestLoss = Double.POSITIVE_INFINITY;
        int best = -1;
        float[] bestScales = null;
        for (int g = 0; g <= grid; g++) {
            alphas[g] = (double) g / grid;
            float[] s = SmoothQuant.scales(actAbsMax, wMax, alphas[g]);
            losses[g] = lossOf.applyAsDouble(s);
            if (losses[g] < bestLoss) {
                bestLoss = losses[g];
                best = g;
                bestScales = s;
            }
        }
        if (best < 0) {
            throw new IllegalStateException("group-aware search found no finite loss: " + Arrays.toString(losses));
        }
        return new Result(alphas[best], bestScales, alphas, losses, lossOf.applyAsDouble(null));
    }

    /**
     * The search loss for given smoothing scales ({@code null}: no smoothing) on the whole of {@code x}.
     */
    public static double loss(List<FloatMatrix> weights, FloatMatrix x, float[] scales, QuantSpec weightSpec,
            QuantSpec actSpec) {
        int k = AwqSearch.requireInputs(weights, x, weightSpec);
        ActivationQuantizer.requireActivationSpec(actSpec, x.data(), x.rows(), k);
        if (scales != null) {
            SmoothQuant.requireLength(scales, k, "scales");
        }
        float[][] refs = new float[weights.size()][];
        for (int l = 0; l < refs.length; l++) {
            refs[l] = OutputLoss.reference(weights.get(l), x);
        }
        return lossOnSample(weights, x, scales, weightSpec, actSpec, refs, new float[x.data().length]);
    }

    private static double lossOnSample(List<FloatMatrix> weights, FloatMatrix x, float[] s, QuantSpec wSpec,
            QuantSpec aSpec, float[][] refs, float[] xq) {
        System.arraycopy(x.data(), 0, xq, 0, xq.length);
        if (s != null) {
            SmoothQuant.divideColumns(xq, x.rows(), x.cols(), s);
        }
        ActivationQuantizer.fakeQuantize(xq, x.rows(), x.cols(), aSpec);
        double loss = 0.0;
        for (int l = 0; l < refs.length; l++) {
            loss += OutputLoss.weightAndActivation(weights.get(l), s, wSpec, xq, x.rows(), refs[l]);
        }
        return loss;
    }
}
