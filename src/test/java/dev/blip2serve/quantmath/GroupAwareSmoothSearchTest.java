package dev.blip2serve.quantmath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class GroupAwareSmoothSearchTest {

    private static float[] absMaxPerChannel(float[] x, int rows, int k) {
        float[] m = new float[k];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < k; j++) {
                m[j] = Math.max(m[j], Math.abs(x[r * k + j]));
            }
        }
        return m;
    }

    @Test
    void searchesTwentyOneAlphasAndBeatsVanillaAndUnsmoothed() {
        int k = 256;
        int rows = 64;
        FloatMatrix q = FloatMatrix.of(TestData.gaussian(41, 48 * k, 0.03), 48, k);
        FloatMatrix v = FloatMatrix.of(TestData.gaussian(42, 32 * k, 0.03), 32, k);
        float[] xd = TestData.activationsWithOutliers(43, rows, k, 60);
        FloatMatrix x = FloatMatrix.of(xd, rows, k);
        float[] act = absMaxPerChannel(xd, rows, k);
        QuantSpec w4 = QuantSpec.grouped(4, 128, true);
        QuantSpec a4 = QuantSpec.grouped(4, 128, true);
        GroupAwareSmoothSearch.Result r = GroupAwareSmoothSearch.search(List.of(q, v), x, act, w4, a4);
        assertThat(r.alphas()).hasSize(21);
        assertThat(r.alphas()[20]).isEqualTo(1.0);
        assertThat(r.bestLoss()).isLessThanOrEqualTo(r.lossAt(0.5));
        assertThat(r.bestLoss()).isLessThan(r.unsmoothedLoss());
        // the scales are exactly vanilla SmoothQuant's at the chosen alpha
        assertThat(r.scales()).containsExactly(SmoothQuant.scales(act, List.of(q, v), r.bestAlpha()));
        assertThat(GroupAwareSmoothSearch.loss(List.of(q, v), x, r.scales(), w4, a4))
                .isCloseTo(r.bestLoss(), within(1e-9 * r.bestLoss()));
    }

    @Test
    void unsmoothedLossMatchesANaiveW4A4Computation() {
        int n = 16;
        int k = 64;
        int rows = 10;
        float[] w = TestData.gaussian(44, n * k, 0.05);
        float[] x = TestData.activationsWithOutliers(45, rows, k, 8);
        QuantSpec ws = QuantSpec.grouped(4, 32, false);
        QuantSpec as = QuantSpec.perToken(8, true);
        float[] wq = WeightQuantizer.fakeQuantized(w, n, k, ws);
        float[] xq = ActivationQuantizer.fakeQuantized(x, rows, k, as);
        double[] ref = TestData.matmulNt(x, rows, w, n, k);
        double[] out = TestData.matmulNt(xq, rows, wq, n, k);
        double naive = 0;
        for (int i = 0; i < ref.length; i++) {
            naive += (out[i] - ref[i]) * (out[i] - ref[i]);
        }
        naive /= ref.length;
        double loss = GroupAwareSmoothSearch.loss(List.of(FloatMatrix.of(w, n, k)), FloatMatrix.of(x, rows, k),
                null, ws, as);
        assertThat(loss).isCloseTo(naive, within(1e-3 * naive));
    }

    @Property(tries = 15)
    void bestLossIsTheMinimumOfTheGrid(@ForAll long seed, @ForAll @IntRange(min = 1, max = 12) int n,
            @ForAll @IntRange(min = 1, max = 12) int rows) {
        int k = 64;
        float[] xd = TestData.activationsWithOutliers(seed, rows, k, 20);
        FloatMatrix w = FloatMatrix.of(TestData.gaussian(seed + 7, n * k, 0.05), n, k);
        GroupAwareSmoothSearch.Result r = GroupAwareSmoothSearch.search(List.of(w), FloatMatrix.of(xd, rows, k),
                absMaxPerChannel(xd, rows, k), QuantSpec.grouped(4, 32, false), QuantSpec.grouped(4, 32, true),
                new SearchGrid(20, 8));
        for (double l : r.losses()) {
            assertThat(r.bestLoss()).isLessThanOrEqualTo(l);
        }
        assertThat(r.bestAlpha()).isBetween(0.0, 1.0);
    }

    /**
     * Smoothing undoes any per-channel rescaling between the input and the weight, such as the outlier channels that
     * a LayerNorm gamma carries in OPT: with {@code X * 2^e} and {@code W * 2^-e} per channel (the same function),
     * the scales come out {@code 2^e} times the originals and every loss of the grid is unchanged, up to float
     * rounding. So the search can only be judged on what such a rescaling cannot create.
     */
    @Property(tries = 12)
    void aPerChannelRescalingBetweenInputAndWeightChangesNothing(@ForAll long seed) {
        int k = 64;
        int rows = 48;
        java.util.Random rnd = new java.util.Random(seed);
        float[] x = TestData.activationsWithOutliers(seed, rows, k, 20);
        float[] w = TestData.gaussian(seed + 1, 24 * k, 0.05);
        float[] c = new float[k];
        for (int j = 0; j < k; j++) {
            c[j] = (float) Math.scalb(1.0, rnd.nextInt(11) - 5);
        }
        float[] xs = x.clone();
        float[] ws = w.clone();
        SmoothQuant.divideColumns(ws, 24, k, c);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < k; j++) {
                xs[r * k + j] *= c[j];
            }
        }
        QuantSpec w4 = QuantSpec.grouped(4, 32, true);
        QuantSpec a4 = QuantSpec.grouped(4, 32, true);
        GroupAwareSmoothSearch.Result plain = GroupAwareSmoothSearch.search(List.of(FloatMatrix.of(w, 24, k)),
                FloatMatrix.of(x, rows, k), absMaxPerChannel(x, rows, k), w4, a4);
        GroupAwareSmoothSearch.Result rescaled = GroupAwareSmoothSearch.search(List.of(FloatMatrix.of(ws, 24, k)),
                FloatMatrix.of(xs, rows, k), absMaxPerChannel(xs, rows, k), w4, a4);
        for (int g = 0; g < plain.losses().length; g++) {
            assertThat(rescaled.losses()[g]).as("alpha %s", plain.alphas()[g])
                    .isCloseTo(plain.losses()[g], within(1e-2 * plain.losses()[g]));
        }
        assertThat(rescaled.bestLoss()).isCloseTo(plain.bestLoss(), within(1e-2 * plain.bestLoss()));
        for (double alpha : new double[] {0.0, 0.5, 1.0}) {
            float[] s = SmoothQuant.scales(absMaxPerChannel(x, rows, k), List.of(FloatMatrix.of(w, 24, k)), alpha);
            float[] s2 = SmoothQuant.scales(absMaxPerChannel(xs, rows, k), List.of(FloatMatrix.of(ws, 24, k)), alpha);
            for (int j = 0; j < k; j++) {
                assertThat(s2[j]).isCloseTo(s[j] * c[j], within(1e-5f * s[j] * c[j]));
            }
        }
    }

    @Test
    void validatesItsInputs() {
        FloatMatrix w = FloatMatrix.of(new float[4 * 64], 4, 64);
        FloatMatrix x = FloatMatrix.of(new float[2 * 64], 2, 64);
        assertThatThrownBy(() -> GroupAwareSmoothSearch.search(List.of(w), x, new float[64],
                QuantSpec.grouped(4, 128, true), QuantSpec.grouped(4, 32, true)))
                .hasMessage("group size 128 does not divide K = 64");
        assertThatThrownBy(() -> GroupAwareSmoothSearch.search(List.of(w), x, new float[64],
                QuantSpec.grouped(4, 32, true), QuantSpec.perChannel(4, true)))
                .hasMessageContaining("PER_CHANNEL is a weight granularity");
        assertThatThrownBy(() -> GroupAwareSmoothSearch.search(List.of(w), x, new float[10],
                QuantSpec.grouped(4, 32, true), QuantSpec.grouped(4, 32, true)))
                .hasMessageContaining("max|x| must have 64 entries");
    }
}
