package dev.blip2serve.quantize.emit;

import dev.blip2serve.onnx.ElementType;
import dev.blip2serve.onnx.Tensors;
import dev.blip2serve.onnx.Value;
import dev.blip2serve.quantmath.MatMulIntegerWeight;
import dev.blip2serve.quantmath.QuantSpec;
import dev.blip2serve.quantmath.WeightQuantizer;

/**
 * A linear's int8 weight as the initializers {@code MatMulInteger} needs: codes {@code [K, N]}, their zero point, and
 * scales (one per tensor or per output channel). The weight is quantized once, lazily, when the writer asks for either.
 *
 * <p>The symmetric int8 codes travel as uint8 {@code code + 128} with zero point 128: the same integers after the
 * subtraction, but ONNX Runtime's CPU GEMM then runs u8 x u8, which is exact on every CPU. Its u8 x s8 kernel on AVX2
 * and AVX-512 CPUs without VNNI adds pairs of u8·s8 products in saturating 16-bit lanes ({@code vpmaddubsw}): up to
 * 2 · 255 · 127 = 64770 does not fit, and a W8A8 linear was 48 % off there (docs/QUANTIZATION.md).
 *
 * @param codes     uint8 {@code [K, N]}
 * @param zeroPoint the uint8 scalar 128
 * @param scales    float {@code [N]} or a scalar
 */
record Int8Weight(Value codes, Value zeroPoint, Value scales) {

    /** Zero point of the codes: int8 {@code c} is stored as uint8 {@code c + 128}. */
    static final int ZERO_POINT = 128;

    /**
     * @param scalesName  initializer name suffix of the scales
     * @param perChannel  scales {@code [N]}, one per output channel; otherwise one scalar for the tensor
     */
    static Int8Weight of(EmitContext c, String name, QuantSpec spec, String scalesName, boolean perChannel) {
        if (c.weights().activationType(name) != ElementType.FLOAT) {
            throw new IllegalArgumentException(name + ": int8 linears compute in fp32 only");
        }
        int[] nk = c.weightShape(name);
        int n = nk[0];
        int k = nk[1];
        Memo<MatMulIntegerWeight> w = new Memo<>(() ->
                MatMulIntegerWeight.of(WeightQuantizer.quantize(c.loadWeight(name), n, k, spec)), 2);
        var g = c.graph();
        Value b = g.initializer(name + ".qweight", Tensors.raw(ElementType.UINT8, new long[] {k, n},
                () -> offsetCodes(w.get().b())));
        long[] scaleShape = perChannel ? new long[] {n} : new long[0];
        Value s = g.initializer(name + scalesName, Tensors.floats(ElementType.FLOAT, scaleShape, () -> w.get().scales()));
        return new Int8Weight(b, c.constUint8(ZERO_POINT), s);
    }

    /** int8 {@code c} (two's complement) to uint8 {@code c + 128}: flipping the top bit is that addition. */
    private static byte[] offsetCodes(byte[] int8) {
        byte[] u8 = new byte[int8.length];
        for (int i = 0; i < u8.length; i++) {
            u8[i] = (byte) (int8[i] ^ 0x80);
        }
        return u8;
    }
}
