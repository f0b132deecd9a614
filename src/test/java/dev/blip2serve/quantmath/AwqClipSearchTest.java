package dev.blip2serve.quantmath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AwqClipSearchTest {

    /** Mean squared error of one group's output over all tokens of x. */
    private static double groupError(float[] w, int row, int gi, int g, int k, float[] x, int rows, float clip,
            QuantSpec spec) {
        float[] group = new float[g];
        float[] orig = new float[g];
        for (int j = 0; j < g; j++) {
            orig[j] = w[row * k + gi * g + j];
            group[j] = Math.min(Math.max(orig[j], -clip), clip);
        }
        float[] q = WeightQuantizer.fakeQuantized(group, 1, g, QuantSpec.perChannel(spec.bits(), spec.symmetric()));
        double err = 0;
        for (int t = 0; t < rows; t++) {
            double a = 0;
            double b = 0;
            for (int j = 0; j < g; j++) {
                a += (double) x[t * k + gi * g + j] * q[j];
                b += (double) x[t * k + gi * g + j] * orig[j];
            }
            err += (a - b) * (a - b);
        }
        return err / rows;
    }

    @Test
    void clippingNeverIncreasesAGroupsErrorAndStaysInRange() {
        int n = 12;
        int k = 128;
        int rows = 48;
        float[] w = TestData.gaussian(31, n * k, 0.05);
        w[5] = 0.6f; // outlier weights make clipping worthwhile
        w[3 * k + 70] = -0.5f;
        float[] x = TestData.gaussian(32, rows * k, 1.0);
        QuantSpec spec = QuantSpec.grouped(3, 32, false);
        float[] clip = AwqClipSearch.search(FloatMatrix.of(w, n, k), FloatMatrix.of(x, rows, k), spec);
        assertThat(clip).hasSize(n * 4);
        boolean anyClipped = false;
        for (int i = 0; i < n; i++) {
            for (int gi = 0; gi < 4; gi++) {
                float orgMax = 0f;
                for (int j = 0; j < 32; j++) {
                    orgMax = Math.max(orgMax, Math.abs(w[i * k + gi * 32 + j]));
                }
                float m = clip[i * 4 + gi];
                assertThat(m).isLessThanOrEqualTo(orgMax).isGreaterThanOrEqualTo(0.55f * orgMax * 0.9999f);
                anyClipped |= m < orgMax;
                double chosen = groupError(w, i, gi, 32, k, x, rows, m, spec);
                double none = groupError(w, i, gi, 32, k, x, rows, orgMax, spec);
                assertThat(chosen).isLessThanOrEqualTo(none * (1 + 1e-4) + 1e-12);
            }
        }
        assertThat(anyClipped).isTrue();
        float[] clipped = w.clone();
        AwqClipSearch.apply(clipped, n, k, 32, clip);
        for (int i = 0; i < clipped.length; i++) {
            assertThat(Math.abs(clipped[i])).isLessThanOrEqualTo(clip[i / 32]);
        }
    }

    @Test
    void perChannelClipsWholeRows() {
        float[] w = TestData.gaussian(33, 4 * 64, 0.05);
        float[] x = TestData.gaussian(34, 8 * 64, 1.0);
        float[] clip = AwqClipSearch.search(FloatMatrix.of(w, 4, 64), FloatMatrix.of(x, 8, 64),
                QuantSpec.perChannel(4, true));
        assertThat(clip).hasSize(4);
    }

    @Test
    void optionsAndSpecsAreValidated() {
        assertThat(AwqClipSearch.Options.DEFAULT.candidates()).isEqualTo(10);
        assertThatThrownBy(() -> new AwqClipSearch.Options(20, 1.5, 512)).hasMessageContaining("maxShrink");
        assertThatThrownBy(() -> AwqClipSearch.search(FloatMatrix.of(new float[64], 2, 32),
                FloatMatrix.of(new float[64], 2, 32), QuantSpec.perTensor(4, true)))
                .hasMessageContaining("not PER_TENSOR");
    }
}
