package dev.blip2serve.quantmath;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class WeightQuantizerTest {

    // ---- hand-computed cases ----

    @Test
    void symmetricFourBitPerChannelRoundsHalfToEven() {
        float[] w = {7f, 2.5f, -3.5f, 0.5f, -0.5f, 1.5f, -7f, 0f};
        QuantizedWeight q = WeightQuantizer.quantize(w, 1, 8, QuantSpec.perChannel(4, true));
        assertThat(q.scales()).containsExactly(1f); // max|w| / 7
        assertThat(q.zeroPoints()).isNull();
        int[] codes = new int[8];
        for (int i = 0; i < 8; i++) {
            codes[i] = q.code(i);
        }
        assertThat(codes).containsExactly(7, 2, -4, 0, 0, 2, -7, 0);
        assertThat(q.dequantize()).containsExactly(7f, 2f, -4f, 0f, 0f, 2f, -7f, 0f);
    }

    @Test
    void symmetricInt8PerTensorUsesNarrowRange() {
        float[] w = {127f, -63.5f, 0.5f, 1.5f, -127f, 0f};
        QuantizedWeight q = WeightQuantizer.quantize(w, 2, 3, QuantSpec.perTensor(8, true));
        assertThat(q.scales()).containsExactly(1f);
        assertThat(q.dequantize()).containsExactly(127f, -64f, 0f, 2f, -127f, 0f);
    }

    @Test
    void asymmetricFourBitGroupMatchesAwqFormula() {
        // min -1, max 2.75: s = 3.75 / 15 = 0.25, z = round(1 / 0.25) = 4
        float[] w = new float[16];
        float[] vals = {-1f, 2.75f, 0.5f, 0.375f, 0.625f, -0.125f, 0.125f, 1f};
        System.arraycopy(vals, 0, w, 0, vals.length);
        QuantizedWeight q = WeightQuantizer.quantize(w, 1, 16, QuantSpec.grouped(4, 16, false));
        assertThat(q.scales()).containsExactly(0.25f);
        assertThat(q.zeroPoint(0)).isEqualTo(4);
        int[] codes = new int[8];
        for (int i = 0; i < 8; i++) {
            codes[i] = q.code(i);
        }
        // 0.375/0.25 = 1.5 -> 2, 0.625/0.25 = 2.5 -> 2, -0.125/0.25 = -0.5 -> 0, 0.125/0.25 = 0.5 -> 0
        assertThat(codes).containsExactly(0, 15, 6, 6, 6, 4, 4, 8);
        assertThat(q.code(15)).isEqualTo(4); // zeros map to the zero point
        float[] fq = q.dequantize();
        assertThat(fq[0]).isEqualTo(-1f);
        assertThat(fq[1]).isEqualTo(2.75f);
        assertThat(fq[3]).isEqualTo(0.5f);
        assertThat(fq[5]).isEqualTo(0f);
    }

    @Test
    void asymmetricRangeAlwaysContainsZero() {
        // an all-positive group: the range is widened to [0, max], so nothing saturates
        float[] w = new float[16];
        for (int i = 0; i < 16; i++) {
            w[i] = 10f + i / 15f;
        }
        QuantizedWeight q = WeightQuantizer.quantize(w, 1, 16, QuantSpec.grouped(4, 16, false));
        assertThat(q.zeroPoint(0)).isZero();
        float[] fq = q.dequantize();
        for (int i = 0; i < 16; i++) {
            assertThat(Math.abs(fq[i] - w[i])).isLessThanOrEqualTo(q.scales()[0] / 2 * 1.0001f);
        }
    }

    @Test
    void perChannelScalesFollowRows() {
        float[] w = {1f, -2f, 0.5f, 10f, 0f, -5f};
        QuantizedWeight q = WeightQuantizer.quantize(w, 2, 3, QuantSpec.perChannel(8, true));
        assertThat(q.scales()).containsExactly(2f / 127, 10f / 127);
        assertThat(q.blockIndex(1, 2)).isEqualTo(1);
    }

    @Test
    void fakeQuantizeInPlaceEqualsCopy() {
        float[] w = TestData.gaussian(3, 8 * 64, 0.02);
        QuantSpec spec = QuantSpec.grouped(4, 32, false);
        float[] copy = WeightQuantizer.fakeQuantized(w, 8, 64, spec);
        WeightQuantizer.fakeQuantize(w, 8, 64, spec);
        assertThat(w).containsExactly(copy);
    }

    // ---- properties ----

    @Provide
    Arbitrary<Integer> bits() {
        return Arbitraries.of(3, 4, 8);
    }

    @Provide
    Arbitrary<String> granularities() {
        return Arbitraries.of("tensor", "channel", "group");
    }

    @Provide
    Arbitrary<Integer> groupSizes() {
        return Arbitraries.of(16, 32, 64, 128);
    }

    private static float[] weights(long seed, int count) {
        // spread magnitudes over several decades
        double sigma = Math.pow(10, Math.floorMod(seed, 5) - 3);
        return TestData.gaussian(seed, count, sigma);
    }

    @Property(tries = 80)
    void dequantizedErrorIsAtMostHalfAStep(@ForAll long seed, @ForAll("bits") int bits, @ForAll boolean symmetric,
            @ForAll("granularities") String granularity, @ForAll("groupSizes") int g,
            @ForAll @IntRange(min = 1, max = 9) int n, @ForAll @IntRange(min = 1, max = 4) int groups) {
        int k = g * groups;
        QuantSpec spec = TestData.spec(bits, granularity, g, symmetric);
        float[] w = weights(seed, n * k);
        QuantizedWeight q = WeightQuantizer.quantize(w, n, k, spec);
        float[] fq = q.dequantize();
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < k; c++) {
                int i = r * k + c;
                float s = q.scales()[q.blockIndex(r, c)];
                assertThat(q.code(i)).isBetween(spec.qmin(), spec.qmax());
                assertThat((double) Math.abs(fq[i] - w[i])).isLessThanOrEqualTo(s * 0.5 * (1 + 1e-5));
            }
        }
    }

    @Property(tries = 60)
    void dequantizeOfQuantizeEqualsFakeQuantize(@ForAll long seed, @ForAll("bits") int bits,
            @ForAll boolean symmetric, @ForAll("granularities") String granularity, @ForAll("groupSizes") int g,
            @ForAll @IntRange(min = 1, max = 6) int n) {
        int k = 2 * g;
        QuantSpec spec = TestData.spec(bits, granularity, g, symmetric);
        float[] w = weights(seed, n * k);
        assertThat(WeightQuantizer.dequantize(WeightQuantizer.quantize(w, n, k, spec)))
                .containsExactly(WeightQuantizer.fakeQuantized(w, n, k, spec));
    }

    @Property(tries = 60)
    void fakeQuantizationIsIdempotent(@ForAll long seed, @ForAll("bits") int bits, @ForAll boolean symmetric,
            @ForAll("granularities") String granularity, @ForAll("groupSizes") int g,
            @ForAll @IntRange(min = 1, max = 6) int n) {
        int k = 2 * g;
        QuantSpec spec = TestData.spec(bits, granularity, g, symmetric);
        float[] w = weights(seed, n * k);
        float[] once = WeightQuantizer.fakeQuantized(w, n, k, spec);
        float[] twice = WeightQuantizer.fakeQuantized(once, n, k, spec);
        float tol = 1e-6f * TestData.absMax(w);
        for (int i = 0; i < once.length; i++) {
            assertThat(Math.abs(twice[i] - once[i])).isLessThanOrEqualTo(tol);
        }
    }

    @Property(tries = 30)
    void zeroTensorQuantizesToZerosWithoutNaN(@ForAll("bits") int bits, @ForAll boolean symmetric,
            @ForAll("granularities") String granularity, @ForAll @IntRange(min = 1, max = 5) int n) {
        int k = 64;
        QuantSpec spec = TestData.spec(bits, granularity, 32, symmetric);
        float[] w = new float[n * k];
        QuantizedWeight q = WeightQuantizer.quantize(w, n, k, spec);
        for (float s : q.scales()) {
            assertThat(s).isPositive().isFinite();
        }
        float[] fq = q.dequantize();
        for (float v : fq) {
            assertThat(v).isEqualTo(0f);
        }
        WeightQuantizer.fakeQuantize(w, n, k, spec);
        for (float v : w) {
            assertThat(v).isEqualTo(0f);
        }
    }
}
