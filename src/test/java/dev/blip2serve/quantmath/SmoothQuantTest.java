package dev.blip2serve.quantmath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class SmoothQuantTest {

    @Test
    void scalesFollowTheSmoothQuantFormula() {
        float[] act = {4f, 1f, 0f, 9f};
        float[] wmax = {1f, 4f, 2f, 0f};
        float[] s = SmoothQuant.scales(act, wmax, 0.5);
        assertThat(s[0]).isEqualTo(2f);
        assertThat(s[1]).isEqualTo(0.5f);
        assertThat(s[2]).isEqualTo(1e-5f); // zero activation channel: floor
        // zero weight channel: the weight max is floored at 1e-5 before the power
        assertThat((double) s[3]).isCloseTo(3.0 / Math.sqrt(1e-5), within(1e-2));
    }

    @Test
    void alphaZeroAndOneAreWeightOnlyAndActivationOnly() {
        float[] act = {4f, 2f};
        float[] wmax = {0.5f, 8f};
        assertThat(SmoothQuant.scales(act, wmax, 1.0)).containsExactly(4f, 2f);
        assertThat(SmoothQuant.scales(act, wmax, 0.0)).containsExactly(2f, 0.125f);
    }

    @Test
    void weightMaxRunsOverAllLinearsSharingTheInput() {
        FloatMatrix q = FloatMatrix.of(new float[] {1f, -3f, 0.5f, 2f}, 2, 2);
        FloatMatrix v = FloatMatrix.of(new float[] {-4f, 1f}, 1, 2);
        assertThat(SmoothQuant.weightAbsMaxPerInputChannel(List.of(q, v))).containsExactly(4f, 3f);
    }

    @Test
    void alphaOutsideZeroOneIsRejected() {
        float[] a = {1f};
        assertThatThrownBy(() -> SmoothQuant.scales(a, a, 1.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("alpha must be in [0, 1], got 1.5");
        assertThatThrownBy(() -> SmoothQuant.scales(a, a, -0.1)).hasMessage("alpha must be in [0, 1], got -0.1");
        assertThatThrownBy(() -> SmoothQuant.scales(a, a, Double.NaN)).hasMessageContaining("alpha must be in [0, 1]");
    }

    @Property(tries = 40)
    void smoothingWithoutQuantizationIsExact(@ForAll long seed, @ForAll @DoubleRange(min = 0, max = 1) double alpha,
            @ForAll @IntRange(min = 1, max = 12) int rows, @ForAll @IntRange(min = 1, max = 12) int n,
            @ForAll @IntRange(min = 1, max = 80) int k) {
        float[] x = TestData.activationsWithOutliers(seed, rows, k, 50.0);
        float[] w = TestData.gaussian(seed + 1, n * k, 0.05);
        double[] ref = TestData.matmulNt(x, rows, w, n, k);
        float[] act = new float[k];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < k; j++) {
                act[j] = Math.max(act[j], Math.abs(x[r * k + j]));
            }
        }
        float[] s = SmoothQuant.scales(act, List.of(FloatMatrix.of(w, n, k)), alpha);
        float[] xs = x.clone();
        float[] ws = w.clone();
        SmoothQuant.divideColumns(xs, rows, k, s);
        SmoothQuant.scaleWeightColumns(ws, n, k, s);
        double[] out = TestData.matmulNt(xs, rows, ws, n, k);
        double scale = 0;
        for (int r = 0; r < rows; r++) {
            double rowNorm = 0;
            for (int j = 0; j < k; j++) {
                rowNorm += Math.abs(x[r * k + j]);
            }
            scale = Math.max(scale, rowNorm * TestData.absMax(w));
        }
        for (int i = 0; i < ref.length; i++) {
            assertThat(out[i]).isCloseTo(ref[i], within(1e-6 * scale + 1e-12));
        }
    }

    @Test
    void foldingIntoLayerNormDividesItsOutput() {
        float[] gamma = {1.5f, -0.5f, 2f};
        float[] beta = {0.1f, 0.2f, -0.3f};
        float[] s = {2f, 0.25f, 3f};
        float[] normalized = {0.7f, -1.2f, 0.4f}; // LayerNorm output before the affine part
        float[] g2 = gamma.clone();
        float[] b2 = beta.clone();
        SmoothQuant.divideRows(g2, 0, 1, s);
        SmoothQuant.divideRows(b2, 0, 1, s);
        for (int j = 0; j < 3; j++) {
            float before = normalized[j] * gamma[j] + beta[j];
            float after = normalized[j] * g2[j] + b2[j];
            assertThat(after).isCloseTo(before / s[j], within(1e-6f));
        }
    }

    @Test
    void foldingIntoPrecedingLinearCommutesWithRelu() {
        int kIn = 6;
        int kOut = 4;
        float[] w1 = TestData.gaussian(21, kOut * kIn, 1.0);
        float[] b1 = TestData.gaussian(22, kOut, 1.0);
        float[] x = TestData.gaussian(23, kIn, 1.0);
        float[] s = {0.5f, 2f, 3f, 0.1f};
        float[] w1s = w1.clone();
        float[] b1s = b1.clone();
        SmoothQuant.divideRows(w1s, 0, kIn, s);
        SmoothQuant.divideRows(b1s, 0, 1, s);
        for (int r = 0; r < kOut; r++) {
            double h = b1[r];
            double hs = b1s[r];
            for (int j = 0; j < kIn; j++) {
                h += (double) w1[r * kIn + j] * x[j];
                hs += (double) w1s[r * kIn + j] * x[j];
            }
            assertThat(Math.max(hs, 0)).isCloseTo(Math.max(h, 0) / s[r], within(1e-5));
        }
    }

    @Test
    void foldingIntoSomeRowsLeavesTheOthers() {
        float[] w = {1, 1, 2, 2, 3, 3, 4, 4}; // [4 rows, 2]: rows 2..3 feed the smoothed input (v of a fused qkv)
        SmoothQuant.divideRows(w, 2, 2, new float[] {3f, 2f});
        assertThat(w).containsExactly(1, 1, 2, 2, 1, 1, 2, 2);
        assertThatThrownBy(() -> SmoothQuant.divideRows(w, 3, 2, new float[] {1f, 1f}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("do not fit");
    }

    @Test
    void reciprocalIsOneOverS() {
        assertThat(SmoothQuant.reciprocal(new float[] {2f, 0.25f})).containsExactly(0.5f, 4f);
    }
}
