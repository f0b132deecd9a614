package dev.blip2serve.quantmath;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class MatMulNBitsPackingTest {

    @Test
    void fourBitCodesPackLowNibbleFirst() {
        // asymmetric codes 0..15 in K order, built directly
        byte[] codes = new byte[16];
        for (int i = 0; i < 16; i++) {
            codes[i] = (byte) i;
        }
        QuantSpec spec = QuantSpec.grouped(4, 16, false);
        QuantizedWeight q = new QuantizedWeight(spec, 1, 16, codes, new float[] {0.5f}, new byte[] {3});
        MatMulNBitsWeight p = MatMulNBitsPacking.pack(q);
        assertThat(p.bits()).isEqualTo(4);
        assertThat(p.bShape()).containsExactly(1, 1, 8);
        assertThat(p.b()).containsExactly(0x10, 0x32, 0x54, 0x76, (byte) 0x98, (byte) 0xBA, (byte) 0xDC, (byte) 0xFE);
        assertThat(p.scales()).containsExactly(0.5f);
        assertThat(p.zeroPointsShape()).containsExactly(1, 1);
        assertThat(p.zeroPoints()).containsExactly(0x83); // zero point 3 in the low nibble, pad 8 above
        assertThat(MatMulNBitsPacking.dequantize(p)[0]).isEqualTo((0 - 3) * 0.5f);
    }

    @Test
    void zeroPointsArePackedPerRowAndPadded() {
        // N = 2, K = 48, block 16: 3 blocks per row -> 2 bytes per row
        int n = 2;
        int k = 48;
        byte[] zps = {1, 2, 3, 4, 5, 6};
        QuantizedWeight q = new QuantizedWeight(QuantSpec.grouped(4, 16, false), n, k, new byte[n * k],
                new float[6], zps);
        MatMulNBitsWeight p = MatMulNBitsPacking.pack(q);
        assertThat(p.bShape()).containsExactly(2, 3, 8);
        assertThat(p.scalesShape()).containsExactly(2, 3);
        assertThat(p.zeroPointsShape()).containsExactly(2, 2);
        assertThat(p.zeroPoints()).containsExactly(0x21, 0x83, 0x54, 0x86);
        assertThat(MatMulNBitsPacking.unpackZeroPoints(p)).containsExactly(1, 2, 3, 4, 5, 6);
    }

    @Test
    void symmetricFourAndEightBitOmitZeroPoints() {
        float[] w = TestData.gaussian(5, 4 * 64, 0.05);
        MatMulNBitsWeight p4 = MatMulNBitsPacking.pack(WeightQuantizer.quantize(w, 4, 64, QuantSpec.grouped(4, 32, true)));
        assertThat(p4.zeroPoints()).isNull();
        assertThat(p4.defaultZeroPoint()).isEqualTo(8);
        MatMulNBitsWeight p8 = MatMulNBitsPacking.pack(WeightQuantizer.quantize(w, 4, 64, QuantSpec.grouped(8, 32, true)));
        assertThat(p8.zeroPoints()).isNull();
        assertThat(p8.bits()).isEqualTo(8);
        assertThat(p8.bShape()).containsExactly(4, 2, 32);
        QuantizedWeight q8 = WeightQuantizer.quantize(w, 4, 64, QuantSpec.grouped(8, 32, true));
        assertThat(p8.b()[5] & 0xFF).isEqualTo(q8.code(5) + 128);
        assertThat(MatMulNBitsPacking.dequantize(p8)).containsExactly(q8.dequantize());
    }

    @Test
    void threeBitUsesFourBitContainerWithZeroPointFour() {
        float[] w = TestData.gaussian(6, 2 * 32, 0.05);
        QuantizedWeight q = WeightQuantizer.quantize(w, 2, 32, QuantSpec.grouped(3, 16, true));
        MatMulNBitsWeight p = MatMulNBitsPacking.pack(q);
        assertThat(p.bits()).isEqualTo(4);
        assertThat(p.zeroPoints()).containsExactly(0x44, 0x44);
        int[] codes = MatMulNBitsPacking.unpackCodes(p.b(), 2, 32, 4);
        for (int c : codes) {
            assertThat(c).isBetween(0, 7);
        }
        assertThat(MatMulNBitsPacking.dequantize(p)).containsExactly(q.dequantize());
        assertThat(p.zeroPointsOrDefault()).containsExactly(0x44, 0x44);
    }

    @Test
    void onlyGroupedWeightsPack() {
        QuantizedWeight q = WeightQuantizer.quantize(new float[2 * 32], 2, 32, QuantSpec.perChannel(4, false));
        assertThatThrownBy(() -> MatMulNBitsPacking.pack(q))
                .hasMessageContaining("MatMulNBits needs GROUP granularity");
    }

    @Provide
    Arbitrary<QuantSpec> groupedSpecs() {
        return Arbitraries.of(3, 4, 8).flatMap(bits -> Arbitraries.of(true, false).flatMap(sym ->
                Arbitraries.of(16, 32, 64, 128).map(g -> QuantSpec.grouped(bits, g, sym))));
    }

    @Property(tries = 80)
    void packUnpackRoundTripsQuantizedWeights(@ForAll long seed, @ForAll("groupedSpecs") QuantSpec spec,
            @ForAll @IntRange(min = 1, max = 17) int n, @ForAll @IntRange(min = 1, max = 5) int kBlocks) {
        int k = kBlocks * spec.groupSize();
        float[] w = TestData.gaussian(seed, n * k, 0.03);
        QuantizedWeight q = WeightQuantizer.quantize(w, n, k, spec);
        MatMulNBitsWeight p = MatMulNBitsPacking.pack(q);
        assertThat(p.bShape()).containsExactly(n, kBlocks, spec.groupSize() * p.bits() / 8);
        QuantizedWeight back = MatMulNBitsPacking.unpack(p, spec);
        assertThat(back.codes()).containsExactly(q.codes());
        assertThat(back.scales()).containsExactly(q.scales());
        if (spec.symmetric()) {
            assertThat(back.zeroPoints()).isNull();
        } else {
            assertThat(back.zeroPoints()).containsExactly(q.zeroPoints());
        }
        // what ORT computes, (code - zp) * scale, is exactly the fake-quantized weight
        assertThat(MatMulNBitsPacking.dequantize(p)).containsExactly(WeightQuantizer.fakeQuantized(w, n, k, spec));
    }

    @Property(tries = 60)
    void packUnpackRoundTripsArbitraryCodes(@ForAll long seed, @ForAll("groupedSpecs") QuantSpec spec,
            @ForAll @IntRange(min = 1, max = 9) int n, @ForAll @IntRange(min = 1, max = 7) int kBlocks) {
        // every representable code and zero point, not only those RTN produces
        int k = kBlocks * spec.groupSize();
        Random rnd = new Random(seed);
        byte[] codes = new byte[n * k];
        for (int i = 0; i < codes.length; i++) {
            codes[i] = (byte) (spec.qmin() + rnd.nextInt(spec.qmax() - spec.qmin() + 1));
        }
        int blocks = n * kBlocks;
        float[] scales = new float[blocks];
        byte[] zps = spec.symmetric() ? null : new byte[blocks];
        for (int b = 0; b < blocks; b++) {
            scales[b] = rnd.nextFloat();
            if (zps != null) {
                zps[b] = (byte) rnd.nextInt(spec.qmax() + 1);
            }
        }
        QuantizedWeight q = new QuantizedWeight(spec, n, k, codes, scales, zps);
        MatMulNBitsWeight p = MatMulNBitsPacking.pack(q);
        QuantizedWeight back = MatMulNBitsPacking.unpack(p, spec);
        assertThat(back.codes()).containsExactly(codes);
        assertThat(back.scales()).containsExactly(scales);
        if (zps != null) {
            assertThat(back.zeroPoints()).containsExactly(zps);
        }
        assertThat(MatMulNBitsPacking.dequantize(p)).containsExactly(q.dequantize());
    }

    @Test
    void matMulIntegerLayoutIsTransposedWithPerColumnScales() {
        float[] w = TestData.gaussian(8, 3 * 5, 1.0);
        QuantizedWeight q = WeightQuantizer.quantize(w, 3, 5, QuantSpec.perChannel(8, true));
        MatMulIntegerWeight m = MatMulIntegerWeight.of(q);
        assertThat(m.bShape()).containsExactly(5, 3);
        assertThat(m.unsigned()).isFalse();
        assertThat(m.zeroPoints()).isNull();
        assertThat(m.scales()).containsExactly(q.scales());
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 5; c++) {
                assertThat((int) m.b()[c * 3 + r]).isEqualTo(q.code(r * 5 + c));
            }
        }
        assertThat(m.dequantizeToNk()).containsExactly(q.dequantize());
    }

    @Property(tries = 20)
    void matMulIntegerRoundTripsAllLayouts(@ForAll long seed, @ForAll boolean symmetric, @ForAll boolean perTensor,
            @ForAll @IntRange(min = 1, max = 150) int n, @ForAll @IntRange(min = 1, max = 150) int k) {
        float[] w = TestData.gaussian(seed, n * k, 0.1);
        QuantSpec spec = perTensor ? QuantSpec.perTensor(8, symmetric) : QuantSpec.perChannel(8, symmetric);
        QuantizedWeight q = WeightQuantizer.quantize(w, n, k, spec);
        MatMulIntegerWeight m = MatMulIntegerWeight.of(q);
        assertThat(m.unsigned()).isEqualTo(!symmetric);
        assertThat(m.dequantizeToNk()).containsExactly(q.dequantize());
    }

    @Test
    void matMulIntegerNeedsEightBitPerChannel() {
        QuantizedWeight q4 = WeightQuantizer.quantize(new float[32], 1, 32, QuantSpec.grouped(4, 16, true));
        assertThatThrownBy(() -> MatMulIntegerWeight.of(q4)).hasMessageContaining("needs 8-bit weights");
        QuantizedWeight g8 = WeightQuantizer.quantize(new float[32], 1, 32, QuantSpec.grouped(8, 16, true));
        assertThatThrownBy(() -> MatMulIntegerWeight.of(g8)).hasMessageContaining("per-channel or per-tensor");
    }
}
