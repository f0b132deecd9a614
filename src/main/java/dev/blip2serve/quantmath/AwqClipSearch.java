package dev.blip2serve.quantmath;

/**
 * AWQ's weight clipping search (mit-han-lab/llm-awq {@code auto_clip.py}, {@code auto_clip_layer}): for every
 * output row and every quantization group of one linear, try clipping the weights to {@code [-m, m]} with
 * {@code m = max|w_group| * (1 - i / gridSize)} for {@code i = 0 .. floor(maxShrink * gridSize) - 1}
 * (1.00, 0.95, ..., 0.55 by default), fake-quantize the clipped group, and keep the {@code m} whose group output
 * {@code sum_{j in group} x_tj w_j} on the sampled tokens has the smallest mean squared error against the
 * unclipped, unquantized group output. Ties keep the larger {@code m}; {@code m} = max|w| (no clipping) is
 * always a candidate, so clipping never increases a group's measured error.
 *
 * <p>Run it after the AWQ scales are applied: {@code w} is {@code W*s} and {@code x} is {@code X/s}, as
 * llm-awq does. Skip q_proj and k_proj (their error passes through q·k and is not measured here), as llm-awq
 * does. Tokens are sampled with stride {@code max(1, rows / sampleTokens)} like llm-awq's
 * {@code input_feat[:, 0::n_token // n_sample_token]}.
 */
public final class AwqClipSearch {

    /**
     * @param gridSize     shrink step is {@code 1 / gridSize} (llm-awq: 20)
     * @param maxShrink    largest relative shrink, exclusive (llm-awq: 0.5)
     * @param sampleTokens tokens kept from the activation sample (llm-awq: 512)
     */
    public record Options(int gridSize, double maxShrink, int sampleTokens) {
        /** llm-awq's defaults: 20, 0.5, 512. */
        public static final Options DEFAULT = new Options(20, 0.5, 512);

        public Options {
            if (gridSize < 1) {
                throw new IllegalArgumentException("grid size must be at least 1, got " + gridSize);
            }
            if (!(maxShrink > 0.0 && maxShrink < 1.0)) {
                throw new IllegalArgumentException("maxShrink must be in (0, 1), got " + maxShrink);
            }
            if (sampleTokens < 1) {
                throw new IllegalArgumentException("sampleTokens must be at least 1, got " + sampleTokens);
            }
        }

        /** Number of candidate clipping values: {@code floor(maxShrink * gridSize)}, at least 1. */
        public int candidates() {
            return Math.max(1, (int) (maxShrink * gridSize));
        }
    }

    private AwqClipSearch() {
    }

    /** {@link #search(FloatMatrix, FloatMatrix, QuantSpec, Options)} with {@link Options#DEFAULT}. */
    public static float[] search(FloatMatrix w, FloatMatrix x, QuantSpec spec) {
        return search(w, x, spec, Options.DEFAULT);
    }

    /**
     * Best clipping value per output row and group.
     *
     * @param w    the (already scaled) weight {@code [N, K]}, unchanged
     * @param x    the (already scaled) input sample {@code [rows, K]}
     * @param spec GROUP or PER_CHANNEL weight spec (PER_CHANNEL clips whole rows: one group of K)
     * @return max |w| to clip to, {@code [N, groups]} row-major, groups = K / groupSize (1 for PER_CHANNEL)
     */
    public static float[] search(FloatMatrix w, FloatMatrix x, QuantSpec spec, Options options) {
        int k = w.cols();
        WeightQuantizer.requireWeightSpec(spec, w.data(), w.rows(), k);
        if (spec.granularity() == QuantSpec.Granularity.PER_TENSOR) {
            throw new IllegalArgumentException("clipping search works per group or per channel, not PER_TENSOR");
        }
        if (x == null || x.cols() != k) {
            throw new IllegalArgumentException("activation sample must have K = " + k + " columns");
        }
        int stride = Math.max(1, x.rows() / options.sampleTokens());
        int t = (x.rows() + stride - 1) / stride;
        float[] xs = new float[Math.multiplyExact(t, k)];
        for (int i = 0; i < t; i++) {
            System.arraycopy(x.data(), i * stride * k, xs, i * k, k);
        }
        int g = spec.blockLength(k);
        int groups = k / g;
        int n = w.rows();
        int cands = options.candidates();
        // each group is quantized on its own: a per-row spec over g columns has exactly that block
        QuantSpec groupSpec = new QuantSpec(spec.bits(), QuantSpec.Granularity.PER_CHANNEL, 0, spec.symmetric());
        float[] factors = new float[cands];
        for (int c = 0; c < cands; c++) {
            factors[c] = (float) (1.0 - (double) c / options.gridSize());
        }
        float[] wd = w.data();
        float[] best = new float[Math.multiplyExact(n, groups)];
        Parallel.forRange(n, (long) k * t * (cands + 1), (from, to) -> {
            // row 0: the original group; rows 1..cands: clipped and fake-quantized candidates
            float[] cand = new float[(cands + 1) * g];
            float[] out = new float[(cands + 1) * t];
            for (int gi = 0; gi < groups; gi++) {
                int col = gi * g;
                for (int i = from; i < to; i++) {
                    int src = i * k + col;
                    System.arraycopy(wd, src, cand, 0, g);
                    float orgMax = QuantKernels.absMax(wd, src, g);
                    for (int c = 0; c < cands; c++) {
                        float m = orgMax * factors[c];
                        int d = (c + 1) * g;
                        for (int j = 0; j < g; j++) {
                            cand[d + j] = Math.min(Math.max(wd[src + j], -m), m);
                        }
                    }
                    QuantKernels.fakeQuantRows(cand, cand, 1, cands + 1, g, groupSpec, 0f, 0);
                    Gemm.nt(cand, 0, g, cands + 1, xs, col, k, t, g, out, 0, t);
                    double bestErr = Double.POSITIVE_INFINITY;
                    float bestMax = orgMax;
                    for (int c = 0; c < cands; c++) {
                        double err = 0.0;
                        int o = (c + 1) * t;
                        for (int tt = 0; tt < t; tt++) {
                            double dlt = (double) out[o + tt] - out[tt];
                            err += dlt * dlt;
                        }
                        err /= t;
                        if (err < bestErr) {
                            bestErr = err;
                            bestMax = orgMax * factors[c];
                        }
                    }
                    best[i * groups + gi] = bestMax;
                }
            }
        });
        return best;
    }

    /**
     * Clamps every group of {@code w [n, k]} to {@code [-maxVal, maxVal]} in place ({@code maxVal [n, k/groupLength]}
     * from {@link #search}); {@code groupLength} is the spec's group size, or K for per-channel.
     */
    public static void apply(float[] w, int n, int k, int groupLength, float[] maxVal) {
        FloatMatrix.requireShape(w, n, k, "W");
        if (groupLength <= 0 || k % groupLength != 0) {
            throw new IllegalArgumentException("group length " + groupLength + " does not divide K = " + k);
        }
        int groups = k / groupLength;
        SmoothQuant.requireLength(maxVal, n * groups, "clip values");
        for (int b = 0; b < maxVal.length; b++) {
            float m = maxVal[b];
            for (int i = b * groupLength, end = i + groupLength; i < end; i++) {
                w[i] = Math.min(Math.max(w[i], -m), m);
            }
        }
    }
}
