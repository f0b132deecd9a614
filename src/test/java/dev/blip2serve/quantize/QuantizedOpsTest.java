package dev.blip2serve.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.blip2serve.blip2.GraphWeights;
import dev.blip2serve.blip2.WeightPrecision;
import dev.blip2serve.blip2.WeightSource;
import dev.blip2serve.onnx.Dim;
import dev.blip2serve.onnx.ElementType;
import dev.blip2serve.onnx.GraphBuilder;
import dev.blip2serve.onnx.Ops;
import dev.blip2serve.onnx.Value;
import dev.blip2serve.quantmath.ActivationQuantizer;
import dev.blip2serve.quantmath.MatMulNBitsPacking;
import dev.blip2serve.quantmath.MatMulNBitsWeight;
import dev.blip2serve.quantmath.QuantSpec;
import dev.blip2serve.quantmath.WeightQuantizer;
import dev.blip2serve.quantize.emit.EmitContext;
import dev.blip2serve.quantize.emit.Int8PerTensorScheme;
import dev.blip2serve.quantize.emit.Int8PerTokenScheme;
import dev.blip2serve.quantize.emit.LinearScheme;
import dev.blip2serve.quantize.emit.NBitsScheme;
import dev.blip2serve.quantize.emit.QuantOps;
import dev.blip2serve.testing.Fixtures;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The quantized operators as ONNX Runtime runs them, on standalone graphs, against plain float arithmetic on the
 * dequantized weights: MatMulNBits (3/4/8 bits, symmetric and asymmetric, grouped and repeated per-channel
 * blocks), the int8 MatMulInteger linears and the simulated activation quantizers.
 */
class QuantizedOpsTest {

    static final int B = 2;
    static final int S = 5;
    static final int K = 64;
    static final int N = 48;

    /** One linear {@code lin} with weight [N, K] and bias [N], with a wide activation range (outlier channels). */
    static final class OneLinear implements WeightSource {
        final float[] w = new float[N * K];
        final float[] b = new float[N];

        OneLinear(long seed) {
            Random r = new Random(seed);
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (r.nextGaussian() * 0.1);
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) r.nextGaussian();
            }
        }

        @Override
        public boolean has(String name) {
            return name.equals("lin.weight") || name.equals("lin.bias");
        }

        @Override
        public long[] shape(String name) {
            return name.equals("lin.weight") ? new long[] {N, K} : new long[] {N};
        }

        @Override
        public float[] load(String name) {
            return (name.equals("lin.weight") ? w : b).clone();
        }
    }

    static float[] input(long seed) {
        Random r = new Random(seed);
        float[] x = new float[B * S * K];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * (i % K == 3 ? 20 : 1));
        }
        return x;
    }

    /** {@code x [rows, K] · w^T + b} in double, rounded to float. */
    static float[] reference(float[] x, float[] w, float[] b) {
        int rows = x.length / K;
        float[] y = new float[rows * N];
        for (int r = 0; r < rows; r++) {
            for (int n = 0; n < N; n++) {
                double acc = b[n];
                for (int k = 0; k < K; k++) {
                    acc += (double) x[r * K + k] * w[n * K + k];
                }
                y[r * N + n] = (float) acc;
            }
        }
        return y;
    }

    static float[] runScheme(LinearScheme scheme, OneLinear lin, float[] x) throws Exception {
        GraphBuilder g = new GraphBuilder("t");
        Ops ops = new Ops(g);
        Value in = g.input("x", ElementType.FLOAT, Dim.of(B), Dim.of(S), Dim.of(K));
        Value y = scheme.emit(new EmitContext(ops, new GraphWeights(lin, WeightPrecision.FP32)), in, "lin");
        g.output(y, "y", ElementType.FLOAT, Dim.of(B), Dim.of(S), Dim.of(N));
        return OrtGraphs.run(g, x, B, S, K);
    }

    static float maxAbs(float[] a) {
        float m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"4 asym g16", "4 sym g32", "3 asym g16", "3 sym g64", "8 asym g16", "8 sym g32",
        "4 sym channel", "4 sym tensor", "4 asym channel"})
    void matMulNBitsEqualsAMatMulOnTheDequantizedWeight(String which) throws Exception {
        String[] p = which.split(" ");
        int bits = Integer.parseInt(p[0]);
        boolean sym = p[1].equals("sym");
        QuantSpec spec = switch (p[2]) {
            case "channel" -> QuantSpec.perChannel(bits, sym);
            case "tensor" -> QuantSpec.perTensor(bits, sym);
            default -> QuantSpec.grouped(bits, Integer.parseInt(p[2].substring(1)), sym);
        };
        OneLinear lin = new OneLinear(bits * 31L + which.hashCode());
        float[] x = input(7);
        NBitsScheme scheme = new NBitsScheme(spec, null, 0);
        float[] got = runScheme(scheme, lin, x);
        // the weight the op sees, unpacked from the bytes the graph holds
        MatMulNBitsWeight nb = scheme.pack(lin.w, N, K, scheme.blockSize(K));
        float[] deq = MatMulNBitsPacking.dequantize(nb);
        assertThat(Fixtures.maxAbsDiff(deq, WeightQuantizer.fakeQuantized(lin.w, N, K, spec))).isLessThan(1e-6f);
        float[] want = reference(x, deq, lin.b);
        float err = Fixtures.maxAbsDiff(got, want) / Math.max(1f, maxAbs(want));
        System.out.printf("MatMulNBits %s: max relative error %.3g%n", which, err);
        assertThat(err).isLessThan(1e-5f);
    }

    @Test
    void accuracyLevel4KeepsWeightsAndQuantizesActivationsToInt8() throws Exception {
        QuantSpec spec = QuantSpec.grouped(4, 16, false);
        OneLinear lin = new OneLinear(41);
        float[] x = input(13);
        NBitsScheme fp32 = new NBitsScheme(spec, null, 0);
        NBitsScheme int8 = new NBitsScheme(spec, null, 4);
        float[] exact = runScheme(fp32, lin, x);
        float[] fast = runScheme(int8, lin, x);
        float err = Fixtures.maxAbsDiff(fast, exact) / Math.max(1f, maxAbs(exact));
        System.out.printf("MatMulNBits accuracy_level 4 vs 0: max relative difference %.3g%n", err);
        // int8 activations per block: about 1/127 of each block's range, far from the 4-bit weight error
        assertThat(err).isGreaterThan(0f).isLessThan(3e-2f);
        assertThat(int8.cpu()).contains("accuracy_level 4");
        assertThatThrownBy(() -> new NBitsScheme(spec, null, 2)).hasMessageContaining("accuracy_level");
    }

    @Test
    void int8PerTokenMatchesIntegerArithmetic() throws Exception {
        OneLinear lin = new OneLinear(3);
        float[] x = input(11);
        float[] got = runScheme(new Int8PerTokenScheme(), lin, x);
        float[] xq = ActivationQuantizer.fakeQuantized(x, B * S, K, QuantSpec.perToken(8, true));
        float[] wq = WeightQuantizer.fakeQuantized(lin.w, N, K, QuantSpec.perChannel(8, true));
        float[] want = reference(xq, wq, lin.b);
        float err = Fixtures.maxAbsDiff(got, want) / Math.max(1f, maxAbs(want));
        System.out.printf("W8A8 per token: max relative error vs simulated %.3g%n", err);
        assertThat(err).isLessThan(1e-5f);
        float vsFloat = Fixtures.maxAbsDiff(got, reference(x, lin.w, lin.b)) / maxAbs(want);
        assertThat(vsFloat).as("int8 error is small but real").isBetween(1e-6f, 5e-2f);
    }

    @Test
    void int8PerTensorMatchesDynamicQuantizeLinearArithmetic() throws Exception {
        OneLinear lin = new OneLinear(5);
        float[] x = input(13);
        float[] got = runScheme(new Int8PerTensorScheme(), lin, x);
        // DynamicQuantizeLinear: uint8, range widened to include 0, scale (max - min) / 255, saturated zero point
        float min = 0;
        float max = 0;
        for (float v : x) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float scale = (max - min) / 255f;
        float zp = (float) Math.min(255, Math.max(0, Math.rint(-min / scale)));
        float[] xq = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            float q = (float) Math.min(255, Math.max(0, Math.rint(x[i] / scale) + zp));
            xq[i] = (q - zp) * scale;
        }
        float[] wq = WeightQuantizer.fakeQuantized(lin.w, N, K, QuantSpec.perTensor(8, true));
        float[] want = reference(xq, wq, lin.b);
        float err = Fixtures.maxAbsDiff(got, want) / Math.max(1f, maxAbs(want));
        System.out.printf("W8A8 per tensor: max relative error vs simulated %.3g%n", err);
        assertThat(err).isLessThan(1e-4f);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tensor", "token", "g16"})
    void simulatedActivationQuantizationIsTheJavaTwin(String which) throws Exception {
        QuantSpec spec = switch (which) {
            case "tensor" -> QuantSpec.perTensor(4, true);
            case "token" -> QuantSpec.perToken(4, true);
            default -> QuantSpec.grouped(4, 16, true);
        };
        GraphBuilder g = new GraphBuilder("t");
        Ops ops = new Ops(g);
        Value in = g.input("x", ElementType.FLOAT, Dim.of(B), Dim.of(S), Dim.of(K));
        g.output(QuantOps.fakeQuantize(ops, in, spec, K), "y", ElementType.FLOAT, Dim.of(B), Dim.of(S), Dim.of(K));
        float[] x = input(17);
        float[] got = OrtGraphs.run(g, x, B, S, K);
        float[] want = ActivationQuantizer.fakeQuantized(x, B * S, K, spec);
        assertThat(Fixtures.maxAbsDiff(got, want)).isLessThan(1e-5f);
    }

    @Test
    void w4a4SchemeIsSimulatedActivationsIntoRealFourBitWeights() throws Exception {
        OneLinear lin = new OneLinear(9);
        float[] x = input(19);
        QuantSpec w = QuantSpec.grouped(4, 16, true);
        QuantSpec a = QuantSpec.grouped(4, 16, true);
        float[] got = runScheme(new NBitsScheme(w, a, 0), lin, x);
        float[] want = reference(ActivationQuantizer.fakeQuantized(x, B * S, K, a), WeightQuantizer.fakeQuantized(lin.w, N, K, w), lin.b);
        assertThat(Fixtures.maxAbsDiff(got, want) / Math.max(1f, maxAbs(want))).isLessThan(1e-5f);
    }
}
