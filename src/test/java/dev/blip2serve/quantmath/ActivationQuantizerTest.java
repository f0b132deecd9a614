package dev.blip2serve.quantmath;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ActivationQuantizerTest {

    @Test
    void perTokenSymmetricInt8() {
        // row 0: s = 254 / 127 = 2; row 1: s = 1
        float[] x = {254f, -127f, 1f, 3f, 127f, 0.5f, -1.5f, 0f};
        float[] y = ActivationQuantizer.fakeQuantized(x, 2, 4, QuantSpec.perToken(8, true));
        assertThat(y).containsExactly(254f, -128f, 0f, 4f, 127f, 0f, -2f, 0f);
    }

    @Test
    void perTensorUsesOneScale() {
        float[] x = {254f, -127f, 1f, 3f, 127f, 0.5f, -1.5f, 0f};
        float[] y = ActivationQuantizer.fakeQuantized(x, 2, 4, QuantSpec.perTensor(8, true));
        assertThat(y).containsExactly(254f, -128f, 0f, 4f, 128f, 0f, -2f, 0f);
    }

    @Test
    void perTokenAsymmetricFourBit() {
        // s = (2.75 - (-1)) / 15 = 0.25, z = 4
        float[] x = {-1f, 2.75f, 0.5f, 0.375f};
        float[] y = ActivationQuantizer.fakeQuantized(x, 1, 4, QuantSpec.perToken(4, false));
        assertThat(y).containsExactly(-1f, 2.75f, 0.5f, 0.5f);
    }

    @Test
    void perTokenPerGroupHasOneScalePerGroup() {
        float[] x = new float[32];
        x[0] = 7f;
        x[1] = 2.5f;
        x[16] = 14f;
        x[17] = 3f; // 3 / 2 = 1.5 -> 2 -> 4
        x[18] = 5f; // 5 / 2 = 2.5 -> 2 -> 4
        float[] y = ActivationQuantizer.fakeQuantized(x, 1, 32, QuantSpec.grouped(4, 16, true));
        assertThat(y[0]).isEqualTo(7f);
        assertThat(y[1]).isEqualTo(2f);
        assertThat(y[16]).isEqualTo(14f);
        assertThat(y[17]).isEqualTo(4f);
        assertThat(y[18]).isEqualTo(4f);
    }

    @Test
    void zeroTokensStayZero() {
        float[] x = new float[3 * 32];
        x[40] = 1.5f; // only the middle token is non-zero
        for (QuantSpec spec : new QuantSpec[] {QuantSpec.perToken(4, true), QuantSpec.perToken(4, false),
            QuantSpec.grouped(4, 16, true), QuantSpec.grouped(8, 16, false), QuantSpec.perTensor(4, false)}) {
            float[] y = ActivationQuantizer.fakeQuantized(x, 3, 32, spec);
            for (int i = 0; i < y.length; i++) {
                assertThat(y[i]).isNotNaN();
                if (i < 32 || i >= 64) {
                    assertThat(y[i]).isEqualTo(0f);
                }
            }
            assertThat(y[40]).isCloseTo(1.5f, org.assertj.core.data.Offset.offset(1.5f / 7));
        }
    }

    @Test
    void groupOfWholeRowEqualsPerToken() {
        float[] x = TestData.gaussian(11, 5 * 64, 3.0);
        assertThat(ActivationQuantizer.fakeQuantized(x, 5, 64, QuantSpec.grouped(4, 64, true)))
                .containsExactly(ActivationQuantizer.fakeQuantized(x, 5, 64, QuantSpec.perToken(4, true)));
    }

    @Provide
    Arbitrary<QuantSpec> specs() {
        return Arbitraries.of(3, 4, 8).flatMap(bits -> Arbitraries.of(true, false).flatMap(sym ->
                Arbitraries.of(QuantSpec.perTensor(bits, sym), QuantSpec.perToken(bits, sym),
                        QuantSpec.grouped(bits, 16, sym), QuantSpec.grouped(bits, 32, sym))));
    }

    @Property(tries = 60)
    void errorIsAtMostHalfAStepAndIdempotent(@ForAll long seed, @ForAll("specs") QuantSpec spec,
            @ForAll @IntRange(min = 1, max = 8) int rows) {
        int k = 64;
        float[] x = TestData.gaussian(seed, rows * k, Math.pow(10, Math.floorMod(seed, 4) - 1));
        float[] once = ActivationQuantizer.fakeQuantized(x, rows, k, spec);
        // the same error bound as weights: reuse the weight quantizer's scales (same formulas per block)
        QuantSpec asWeight = spec.granularity() == QuantSpec.Granularity.PER_TOKEN
                ? QuantSpec.perChannel(spec.bits(), spec.symmetric()) : spec;
        QuantizedWeight q = WeightQuantizer.quantize(x, rows, k, asWeight);
        assertThat(q.dequantize()).containsExactly(once);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < k; c++) {
                float s = q.scales()[q.blockIndex(r, c)];
                assertThat((double) Math.abs(once[r * k + c] - x[r * k + c])).isLessThanOrEqualTo(s * 0.5 * (1 + 1e-5));
            }
        }
        float[] twice = ActivationQuantizer.fakeQuantized(once, rows, k, spec);
        float tol = 1e-6f * TestData.absMax(x);
        for (int i = 0; i < once.length; i++) {
            assertThat(Math.abs(twice[i] - once[i])).isLessThanOrEqualTo(tol);
        }
    }
}
