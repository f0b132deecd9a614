package dev.blip2serve.quantmath;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The scale searches' loss for the q/k/v group of a self-attention, measured where llm-awq measures it
 * ({@code module2inspect = self_attn} in {@code auto_scale.py}): at the output of the whole attention block,
 * after softmax and the float output projection, rather than at the q, k and v outputs one by one. A q or k error
 * reaches the model only through the attention weights, which a per-linear loss cannot see.
 * <pre>
 *   q, k, v = split( Qw(W*s) · Qa(X/s)^T + b )         per linear of the group, Qa optional (W4A4)
 *   ctx     = softmax(q k^T / sqrt(d) [+ causal mask]) v  per head and per calibration sequence
 *   loss    = mean_{rows, outputs} ( ctx · Wo^T - reference )^2
 * </pre>
 * The reference is the same block with float weights and unscaled input. The output bias is left out (it cancels)
 * and so, in effect, is v's bias (softmax rows sum to one), but it is kept for clarity.
 *
 * <p>The input sample must hold whole sequences ({@code lengths} sum to its rows): attention mixes the rows of a
 * sequence. Cost per evaluation: the group's GEMMs plus the output projection on every sampled row; memory: one
 * quantized copy of the group's weights and a few {@code [rows, N]} buffers.
 */
public final class AttentionBlockLoss {

    /** Rows of a linear's output that hold q, k or v: {@code [rowOffset, rowOffset + heads * headDim)}. */
    public record Slice(int linear, int rowOffset) {
    }

    /**
     * One self-attention block.
     *
     * @param linears the group's weights {@code [N_l, K]} (q/k/v separately, or one fused qkv), unscaled
     * @param biases  their biases {@code [N_l]}, entries may be null
     * @param q       where the queries are
     * @param k       where the keys are
     * @param v       where the values are
     * @param out     the output projection {@code [N_out, heads * headDim]}, float
     * @param heads   number of heads
     * @param causal  whether row i of a sequence sees only rows {@code <= i} (OPT) or all of them (ViT, Q-Former)
     */
    public record Block(List<FloatMatrix> linears, List<float[]> biases, Slice q, Slice k, Slice v, FloatMatrix out,
                        int heads, boolean causal) {
        public Block {
            linears = List.copyOf(linears);
            biases = Collections.unmodifiableList(new ArrayList<>(biases));
            if (biases.size() != linears.size()) {
                throw new IllegalArgumentException("one bias entry per linear expected");
            }
            int width = out.cols();
            if (heads <= 0 || width % heads != 0) {
                throw new IllegalArgumentException("output projection width " + width + " is not a multiple of "
                        + heads + " heads");
            }
            for (Slice s : List.of(q, k, v)) {
                if (s.linear() < 0 || s.linear() >= linears.size()
                        || s.rowOffset() < 0 || s.rowOffset() + width > linears.get(s.linear()).rows()) {
                    throw new IllegalArgumentException("slice " + s + " is outside the group's linears");
                }
            }
        }

        /** Input width K. */
        public int inFeatures() {
            return SmoothQuant.requireSameK(linears);
        }

        int width() {
            return out.cols();
        }
    }

    private final Block block;
    private final FloatMatrix x;
    private final int[] starts;
    private final int[] lengths;
    /** The sequence each sample row belongs to. */
    private final int[] sequenceOf;
    private final float[] reference;

    /**
     * @param block   the attention block
     * @param x       calibration input {@code [rows, K]}: whole sequences, one after another
     * @param lengths the sequences' lengths, summing to {@code x.rows()}
     */
    public AttentionBlockLoss(Block block, FloatMatrix x, int[] lengths) {
        int k = block.inFeatures();
        if (x == null || x.cols() != k) {
            throw new IllegalArgumentException("activation sample must have K = " + k + " columns");
        }
        this.block = block;
        this.x = x;
        this.lengths = lengths.clone();
        this.starts = new int[lengths.length];
        int total = 0;
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] <= 0) {
                throw new IllegalArgumentException("sequence lengths must be positive");
            }
            starts[i] = total;
            total += lengths[i];
        }
        if (total != x.rows()) {
            throw new IllegalArgumentException("sequence lengths sum to " + total + ", the sample has " + x.rows() + " rows");
        }
        this.sequenceOf = new int[total];
        for (int sq = 0; sq < lengths.length; sq++) {
            Arrays.fill(sequenceOf, starts[sq], starts[sq] + lengths[sq], sq);
        }
        List<float[]> weights = block.linears().stream().map(FloatMatrix::data).toList();
        this.reference = forward(weights, x.data());
    }

    /** The block this loss inspects. */
    public Block block() {
        return block;
    }

    /**
     * Mean squared error at the block output when the group's weights are {@code Qw(W*s)} and its input
     * {@code Qa(X/s)}.
     *
     * @param s              scales {@code [K]}, or null for none (plain RTN)
     * @param weightSpec     weight quantizer
     * @param activationSpec simulated activation quantizer, or null for float activations
     */
    public double loss(float[] s, QuantSpec weightSpec, QuantSpec activationSpec) {
        int k = block.inFeatures();
        if (s != null) {
            SmoothQuant.requireLength(s, k, "scales");
        }
        List<float[]> weights = new ArrayList<>();
        for (FloatMatrix w : block.linears()) {
            WeightQuantizer.requireWeightSpec(weightSpec, w.data(), w.rows(), k);
            float[] q = w.data().clone();
            if (s != null) {
                SmoothQuant.scaleWeightColumns(q, w.rows(), k, s);
            }
            WeightQuantizer.fakeQuantize(q, w.rows(), k, weightSpec);
            weights.add(q);
        }
        float[] in = x.data().clone();
        if (s != null) {
            SmoothQuant.divideColumns(in, x.rows(), k, s);
        }
        if (activationSpec != null) {
            ActivationQuantizer.fakeQuantize(in, x.rows(), k, activationSpec);
        }
        float[] got = forward(weights, in);
        double acc = 0.0;
        for (int i = 0; i < got.length; i++) {
            double d = (double) got[i] - reference[i];
            acc += d * d;
        }
        return acc / got.length;
    }

    /** The block's output {@code [rows, N_out]} for effective weights {@code weights} and input {@code in [rows, K]}. */
    private float[] forward(List<float[]> weights, float[] in) {
        int rows = x.rows();
        int k = x.cols();
        float[][] y = new float[weights.size()][];
        for (int l = 0; l < y.length; l++) {
            int n = block.linears().get(l).rows();
            y[l] = times(in, rows, k, weights.get(l), n);
            float[] b = block.biases().get(l);
            if (b != null) {
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < n; j++) {
                        y[l][r * n + j] += b[j];
                    }
                }
            }
        }
        float[] ctx = attend(y);
        return times(ctx, rows, block.width(), block.out().data(), block.out().rows());
    }

    /** {@code a [rows, k] · w [n, k]^T} as {@code [rows, n]}: the searches' blocked product, transposed. */
    private static float[] times(float[] a, int rows, int k, float[] w, int n) {
        float[] byOutput = OutputLoss.reference(FloatMatrix.of(w, n, k), FloatMatrix.of(a, rows, k));   // [n, rows]
        float[] c = new float[byOutput.length];
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < rows; r++) {
                c[r * n + i] = byOutput[i * rows + r];
            }
        }
        return c;
    }

    /** softmax(q k^T / sqrt(d)) v per sequence and head, as {@code [rows, heads * d]}. */
    private float[] attend(float[][] y) {
        int rows = x.rows();
        int width = block.width();
        int d = width / block.heads();
        float scale = (float) (1.0 / Math.sqrt(d));
        float[] ctx = new float[Math.multiplyExact(rows, width)];
        Slice qs = block.q();
        Slice ks = block.k();
        Slice vs = block.v();
        int nq = block.linears().get(qs.linear()).rows();
        int nk = block.linears().get(ks.linear()).rows();
        int nv = block.linears().get(vs.linear()).rows();
        float[] q = y[qs.linear()];
        float[] kk = y[ks.linear()];
        float[] v = y[vs.linear()];
        Parallel.forRange(rows, (long) width * 64, (from, to) -> {
            float[] p = new float[rows];
            for (int i = from; i < to; i++) {
                int sq = sequenceOf[i];
                int s0 = starts[sq];
                int visible = block.causal() ? i - s0 + 1 : lengths[sq];
                for (int h = 0; h < block.heads(); h++) {
                    int qo = i * nq + qs.rowOffset() + h * d;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < visible; j++) {
                        p[j] = Gemm.dot(q, qo, kk, (s0 + j) * nk + ks.rowOffset() + h * d, d) * scale;
                        max = Math.max(max, p[j]);
                    }
                    double sum = 0.0;
                    for (int j = 0; j < visible; j++) {
                        p[j] = (float) Math.exp(p[j] - max);
                        sum += p[j];
                    }
                    int co = i * width + h * d;
                    for (int j = 0; j < visible; j++) {
                        float pj = (float) (p[j] / sum);
                        int vo = (s0 + j) * nv + vs.rowOffset() + h * d;
                        for (int t = 0; t < d; t++) {
                            ctx[co + t] += pj * v[vo + t];
                        }
                    }
                }
            }
        });
        return ctx;
    }
}
