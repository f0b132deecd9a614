package dev.blip2serve.quantmath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class AttentionBlockLossTest {

    private static final int K = 64;
    private static final int HEADS = 4;
    private static final QuantSpec W4 = QuantSpec.grouped(4, 32, false);

    /** Separate q, k, v projections of width K with biases, and an output projection. */
    private static AttentionBlockLoss.Block separate(long seed, boolean causal) {
        List<FloatMatrix> qkv = List.of(matrix(seed, K, K), matrix(seed + 1, K, K), matrix(seed + 2, K, K));
        List<float[]> biases = List.of(TestData.gaussian(seed + 3, K, 0.1), TestData.gaussian(seed + 4, K, 0.1),
                TestData.gaussian(seed + 5, K, 0.1));
        return new AttentionBlockLoss.Block(qkv, biases, new AttentionBlockLoss.Slice(0, 0),
                new AttentionBlockLoss.Slice(1, 0), new AttentionBlockLoss.Slice(2, 0), matrix(seed + 6, K, K), HEADS, causal);
    }

    private static float[] columnAbsMax(FloatMatrix x) {
        float[] m = new float[x.cols()];
        for (int r = 0; r < x.rows(); r++) {
            for (int j = 0; j < x.cols(); j++) {
                m[j] = Math.max(m[j], Math.abs(x.get(r, j)));
            }
        }
        return m;
    }

    private static FloatMatrix matrix(long seed, int n, int k) {
        return FloatMatrix.of(TestData.gaussian(seed, n * k, 0.15), n, k);
    }

    /** The block output computed the plain way, in double: projections, per-head softmax attention, output projection. */
    private static double[] naiveForward(AttentionBlockLoss.Block b, float[] x, int[] lengths) {
        int rows = x.length / K;
        double[][] y = new double[b.linears().size()][];
        for (int l = 0; l < y.length; l++) {
            FloatMatrix w = b.linears().get(l);
            y[l] = TestData.matmulNt(x, rows, w.data(), w.rows(), K);
            float[] bias = b.biases().get(l);
            for (int r = 0; r < rows && bias != null; r++) {
                for (int j = 0; j < w.rows(); j++) {
                    y[l][r * w.rows() + j] += bias[j];
                }
            }
        }
        int width = b.out().cols();
        int d = width / b.heads();
        double[] ctx = new double[rows * width];
        int start = 0;
        for (int len : lengths) {
            for (int i = 0; i < len; i++) {
                for (int h = 0; h < b.heads(); h++) {
                    int visible = b.causal() ? i + 1 : len;
                    double[] p = new double[visible];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < visible; j++) {
                        for (int t = 0; t < d; t++) {
                            p[j] += at(b, y, b.q(), start + i, h * d + t) * at(b, y, b.k(), start + j, h * d + t);
                        }
                        p[j] /= Math.sqrt(d);
                        max = Math.max(max, p[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < visible; j++) {
                        p[j] = Math.exp(p[j] - max);
                        sum += p[j];
                    }
                    for (int j = 0; j < visible; j++) {
                        for (int t = 0; t < d; t++) {
                            ctx[(start + i) * width + h * d + t] += p[j] / sum * at(b, y, b.v(), start + j, h * d + t);
                        }
                    }
                }
            }
            start += len;
        }
        double[] out = new double[rows * b.out().rows()];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < b.out().rows(); o++) {
                double acc = 0;
                for (int c = 0; c < width; c++) {
                    acc += ctx[r * width + c] * b.out().get(o, c);
                }
                out[r * b.out().rows() + o] = acc;
            }
        }
        return out;
    }

    private static double at(AttentionBlockLoss.Block b, double[][] y, AttentionBlockLoss.Slice s, int row, int col) {
        int n = b.linears().get(s.linear()).rows();
        return y[s.linear()][row * n + s.rowOffset() + col];
    }

    private static double naiveLoss(AttentionBlockLoss.Block b, float[] x, int[] lengths, float[] s) {
        List<FloatMatrix> q = b.linears().stream().map(w -> {
            float[] d = w.data().clone();
            SmoothQuant.scaleWeightColumns(d, w.rows(), K, s);
            return FloatMatrix.of(WeightQuantizer.fakeQuantized(d, w.rows(), K, W4), w.rows(), K);
        }).toList();
        float[] xs = x.clone();
        SmoothQuant.divideColumns(xs, x.length / K, K, s);
        AttentionBlockLoss.Block quantized = new AttentionBlockLoss.Block(q, b.biases(), b.q(), b.k(), b.v(), b.out(),
                b.heads(), b.causal());
        double[] ref = naiveForward(b, x, lengths);
        double[] got = naiveForward(quantized, xs, lengths);
        double acc = 0;
        for (int i = 0; i < ref.length; i++) {
            acc += (got[i] - ref[i]) * (got[i] - ref[i]);
        }
        return acc / ref.length;
    }

    @Test
    void matchesTheAttentionComputedThePlainWay() {
        int[] lengths = {5, 9, 2};
        float[] x = TestData.activationsWithOutliers(11, 16, K, 8);
        float[] s = AwqSearch.scalesForRatio(AwqSearch.meanAbs(FloatMatrix.of(x, 16, K)), 0.5);
        for (boolean causal : new boolean[] {true, false}) {
            AttentionBlockLoss.Block b = separate(20, causal);
            AttentionBlockLoss loss = new AttentionBlockLoss(b, FloatMatrix.of(x, 16, K), lengths);
            double naive = naiveLoss(b, x, lengths, s);
            assertThat(naive).isPositive();
            assertThat(loss.loss(s, W4, null)).isCloseTo(naive, within(1e-3 * naive));
        }
    }

    @Test
    void aFusedProjectionGivesTheSameLossAsSeparateOnes() {
        AttentionBlockLoss.Block b = separate(30, false);
        float[] fused = new float[3 * K * K];
        float[] bias = new float[3 * K];
        for (int l = 0; l < 3; l++) {
            System.arraycopy(b.linears().get(l).data(), 0, fused, l * K * K, K * K);
            System.arraycopy(b.biases().get(l), 0, bias, l * K, K);
        }
        AttentionBlockLoss.Block f = new AttentionBlockLoss.Block(List.of(FloatMatrix.of(fused, 3 * K, K)),
                List.of(bias), new AttentionBlockLoss.Slice(0, 0), new AttentionBlockLoss.Slice(0, K),
                new AttentionBlockLoss.Slice(0, 2 * K), b.out(), HEADS, false);
        FloatMatrix x = FloatMatrix.of(TestData.activationsWithOutliers(31, 12, K, 8), 12, K);
        int[] lengths = {7, 5};
        float[] s = AwqSearch.scalesForRatio(AwqSearch.meanAbs(x), 0.3);
        // group-wise quantization works row by row: splitting the rows into three matrices changes nothing
        assertThat(new AttentionBlockLoss(f, x, lengths).loss(s, W4, null))
                .isCloseTo(new AttentionBlockLoss(b, x, lengths).loss(s, W4, null), within(1e-9));
    }

    @Property(tries = 20)
    void scalesActLikeScaledWeightsAndDividedInput(@ForAll @IntRange(min = 0, max = 1000) int seed,
                                                   @ForAll @IntRange(min = 0, max = 19) int ratio) {
        AttentionBlockLoss.Block b = separate(seed, seed % 2 == 0);
        float[] xd = TestData.activationsWithOutliers(seed + 100, 10, K, 5);
        FloatMatrix x = FloatMatrix.of(xd, 10, K);
        float[] s = AwqSearch.scalesForRatio(AwqSearch.meanAbs(x), ratio / 20.0);
        List<FloatMatrix> scaled = b.linears().stream().map(w -> {
            float[] d = w.data().clone();
            SmoothQuant.scaleWeightColumns(d, w.rows(), K, s);
            return FloatMatrix.of(d, w.rows(), K);
        }).toList();
        float[] xs = xd.clone();
        SmoothQuant.divideColumns(xs, 10, K, s);
        AttentionBlockLoss.Block folded = new AttentionBlockLoss.Block(scaled, b.biases(), b.q(), b.k(), b.v(),
                b.out(), HEADS, b.causal());
        int[] lengths = {4, 6};
        double direct = new AttentionBlockLoss(b, x, lengths).loss(s, W4, null);
        double viaFold = new AttentionBlockLoss(folded, FloatMatrix.of(xs, 10, K), lengths).loss(null, W4, null);
        assertThat(viaFold).isCloseTo(direct, within(1e-3 * direct + 1e-12));
    }

    @Test
    void ratioZeroOfTheSearchIsRtnAndTheBestIsNoWorse() {
        AttentionBlockLoss.Block b = separate(40, true);
        FloatMatrix x = FloatMatrix.of(TestData.activationsWithOutliers(41, 24, K, 30), 24, K);
        AttentionBlockLoss loss = new AttentionBlockLoss(b, x, new int[] {10, 14});
        AwqSearch.Result r = AwqSearch.search(loss, AwqSearch.meanAbs(x), W4, SearchGrid.DEFAULT);
        assertThat(r.rtnLoss()).isEqualTo(loss.loss(null, W4, null));
        assertThat(r.bestLoss()).isLessThanOrEqualTo(r.rtnLoss());
        assertThat(r.scales()).hasSize(K);
    }

    @Test
    void groupAwareSearchQuantizesTheActivationsToo() {
        AttentionBlockLoss.Block b = separate(50, false);
        FloatMatrix x = FloatMatrix.of(TestData.activationsWithOutliers(51, 16, K, 30), 16, K);
        AttentionBlockLoss loss = new AttentionBlockLoss(b, x, new int[] {16});
        QuantSpec a4 = QuantSpec.grouped(4, 32, true);
        GroupAwareSmoothSearch.Result r = GroupAwareSmoothSearch.search(loss, columnAbsMax(x), W4, a4,
                SearchGrid.DEFAULT);
        assertThat(r.unsmoothedLoss()).isEqualTo(loss.loss(null, W4, a4)).isGreaterThan(loss.loss(null, W4, null));
        assertThat(r.bestLoss()).isLessThanOrEqualTo(r.lossAt(0.5));
        assertThat(r.alphas()).hasSize(21);
    }

    @Test
    void refusesSequencesThatDoNotCoverTheSample() {
        AttentionBlockLoss.Block b = separate(60, true);
        FloatMatrix x = FloatMatrix.of(new float[8 * K], 8, K);
        assertThatThrownBy(() -> new AttentionBlockLoss(b, x, new int[] {3, 4}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sum to 7");
        assertThatThrownBy(() -> new AttentionBlockLoss(b, x, new int[] {8, 0}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
        assertThatThrownBy(() -> new AttentionBlockLoss.Block(b.linears(), b.biases(), b.q(), b.k(),
                new AttentionBlockLoss.Slice(2, 1), b.out(), HEADS, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside");
        assertThatThrownBy(() -> new AttentionBlockLoss.Block(b.linears(), b.biases(), b.q(), b.k(), b.v(), b.out(), 5, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("heads");
    }
}
