package dev.blip2serve.quantmath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class AwqSearchTest {

    /** Mean squared difference between Q(W) X^T and W X^T, computed naively in double. */
    private static double naiveRtnLoss(float[] w, int n, int k, float[] x, int rows, QuantSpec spec) {
        float[] wq = WeightQuantizer.fakeQuantized(w, n, k, spec);
        double[] ref = TestData.matmulNt(x, rows, w, n, k);
        double[] out = TestData.matmulNt(x, rows, wq, n, k);
        double acc = 0;
        for (int i = 0; i < ref.length; i++) {
            acc += (out[i] - ref[i]) * (out[i] - ref[i]);
        }
        return acc / ref.length;
    }

    @Test
    void gridIsTwentyRatiosFromZero() {
        int k = 64;
        FloatMatrix w = FloatMatrix.of(TestData.gaussian(1, 16 * k, 0.05), 16, k);
        FloatMatrix x = FloatMatrix.of(TestData.activationsWithOutliers(2, 32, k, 20), 32, k);
        AwqSearch.Result r = AwqSearch.search(List.of(w), x, AwqSearch.meanAbs(x), QuantSpec.grouped(4, 32, false));
        assertThat(r.ratios()).hasSize(20);
        assertThat(r.ratios()[0]).isZero();
        assertThat(r.ratios()[19]).isCloseTo(0.95, within(1e-12));
        assertThat(r.losses()).hasSize(20);
    }

    @Test
    void ratioZeroIsPlainRtn() {
        float[] m = {0.1f, 3f, 0f, 50f};
        assertThat(AwqSearch.scalesForRatio(m, 0.0)).containsOnly(1f);
        int n = 24;
        int k = 128;
        float[] wd = TestData.gaussian(3, n * k, 0.05);
        float[] xd = TestData.activationsWithOutliers(4, 40, k, 30);
        FloatMatrix w = FloatMatrix.of(wd, n, k);
        FloatMatrix x = FloatMatrix.of(xd, 40, k);
        QuantSpec spec = QuantSpec.grouped(4, 64, false);
        AwqSearch.Result r = AwqSearch.search(List.of(w), x, AwqSearch.meanAbs(x), spec);
        double naive = naiveRtnLoss(wd, n, k, xd, 40, spec);
        assertThat(r.rtnLoss()).isCloseTo(naive, within(1e-4 * naive));
        assertThat(AwqSearch.loss(List.of(w), x, null, spec)).isCloseTo(naive, within(1e-4 * naive));
    }

    @Test
    void scalesAreNormalisedBySqrtOfMaxTimesMin() {
        float[] m = {0.01f, 0.5f, 2f, 40f};
        float[] s = AwqSearch.scalesForRatio(m, 0.5);
        float max = 0f;
        float min = Float.MAX_VALUE;
        for (float v : s) {
            max = Math.max(max, v);
            min = Math.min(min, v);
        }
        assertThat((double) max * min).isCloseTo(1.0, within(1e-5));
        assertThat((double) s[1] / s[0]).isCloseTo(Math.sqrt(50), within(1e-3));
    }

    @Test
    void salientChannelsMakeAwqBeatRtn() {
        int n = 64;
        int k = 256;
        int rows = 64;
        FloatMatrix w1 = FloatMatrix.of(TestData.gaussian(5, n * k, 0.02), n, k);
        FloatMatrix w2 = FloatMatrix.of(TestData.gaussian(6, 32 * k, 0.02), 32, k);
        FloatMatrix x = FloatMatrix.of(TestData.activationsWithOutliers(7, rows, k, 40), rows, k);
        QuantSpec spec = QuantSpec.grouped(3, 128, false);
        AwqSearch.Result r = AwqSearch.search(List.of(w1, w2), x, AwqSearch.meanAbs(x), spec);
        assertThat(r.bestRatio()).isPositive();
        assertThat(r.bestLoss()).isLessThan(0.9 * r.rtnLoss());
        assertThat(r.scales()).containsExactly(AwqSearch.scalesForRatio(AwqSearch.meanAbs(x), r.bestRatio()));
        // the reported loss is the loss of the returned scales
        assertThat(AwqSearch.loss(List.of(w1, w2), x, r.scales(), spec)).isCloseTo(r.bestLoss(),
                within(1e-9 * r.bestLoss()));
    }

    @Provide
    Arbitrary<QuantSpec> weightSpecs() {
        return Arbitraries.of(3, 4, 8).flatMap(bits -> Arbitraries.of(true, false).flatMap(sym ->
                Arbitraries.of(QuantSpec.perTensor(bits, sym), QuantSpec.perChannel(bits, sym),
                        QuantSpec.grouped(bits, 32, sym))));
    }

    @Property(tries = 25)
    void searchNeverReturnsMoreThanTheRatioZeroLoss(@ForAll long seed, @ForAll("weightSpecs") QuantSpec spec,
            @ForAll @IntRange(min = 1, max = 20) int n, @ForAll @IntRange(min = 1, max = 3) int groups,
            @ForAll @IntRange(min = 1, max = 24) int rows) {
        int k = 32 * groups;
        FloatMatrix w = FloatMatrix.of(TestData.gaussian(seed, n * k, 0.05), n, k);
        FloatMatrix x = FloatMatrix.of(TestData.activationsWithOutliers(seed + 1, rows, k, 10), rows, k);
        AwqSearch.Result r = AwqSearch.search(List.of(w), x, AwqSearch.meanAbs(x), spec,
                new SearchGrid(20, 16));
        assertThat(r.bestLoss()).isLessThanOrEqualTo(r.rtnLoss());
        for (double l : r.losses()) {
            assertThat(r.bestLoss()).isLessThanOrEqualTo(l);
        }
        double naive = naiveRtnLoss(w.data(), n, k, x.sampleRows(16).data(), Math.min(rows, 16), spec);
        assertThat(r.rtnLoss()).isCloseTo(naive, within(1e-4 * naive + 1e-12));
    }

    @Test
    void inputsAreValidated() {
        FloatMatrix w = FloatMatrix.of(new float[4 * 32], 4, 32);
        FloatMatrix x = FloatMatrix.of(new float[2 * 16], 2, 16);
        assertThatThrownBy(() -> AwqSearch.search(List.of(w), x, new float[32], QuantSpec.grouped(4, 32, false)))
                .hasMessageContaining("activation sample must have K = 32 columns, got 16");
        FloatMatrix x2 = FloatMatrix.of(new float[2 * 32], 2, 32);
        assertThatThrownBy(() -> AwqSearch.search(List.of(w), x2, new float[32], QuantSpec.grouped(4, 64, false)))
                .hasMessage("group size 64 does not divide K = 32");
        FloatMatrix other = FloatMatrix.of(new float[4 * 48], 4, 48);
        assertThatThrownBy(() -> AwqSearch.search(List.of(w, other), x2, new float[32],
                QuantSpec.grouped(4, 16, false))).hasMessageContaining("same K");
    }
}
