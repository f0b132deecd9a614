package dev.blip2serve.quantize.emit;

import dev.blip2serve.onnx.ElementType;
import dev.blip2serve.onnx.Ops;
import dev.blip2serve.onnx.Value;
import dev.blip2serve.quantmath.QuantSpec;

/**
 * W8A8 with real int8 compute: int8 symmetric per-output-channel weights, dynamic symmetric per-token int8
 * activations. The graph:
 * <pre>
 *   s   = Max(ReduceMax(|x|, -1), 1e-5) / 127                      [B, S, 1]
 *   q   = Cast(Clip(Round(x / s) + 128, 0, 255), uint8)             [B, S, K]   (int8 code + 128)
 *   acc = MatMulInteger(q, W_q + 128 [K, N] uint8, 128, 128)       [B, S, N]   int32
 *   y   = Cast(acc, float) * w_scale [N] * s + bias
 * </pre>
 * Both operands travel as uint8 with zero point 128 (the int8 codes plus 128): ONNX Runtime's CPU GEMM is very slow
 * for s8 x s8 and its u8 x s8 kernel saturates on CPUs without VNNI ({@link Int8Weight}); u8 x u8 is exact everywhere.
 */
public record Int8PerTokenScheme() implements LinearScheme {

    private static final QuantSpec WEIGHTS = QuantSpec.perChannel(8, true);

    @Override
    public Value emit(EmitContext c, Value x, String name) {
        Int8Weight w = Int8Weight.of(c, name, WEIGHTS, ".wscales", true);
        Value ws = w.scales();
        Ops ops = c.ops();
        Value[] qs = QuantOps.quantizePerTokenInt8(ops, x);
        Value acc = QuantOps.matMulInteger(ops, qs[0], w.codes(), c.constUint8(128), w.zeroPoint());
        Value y = ops.mul(ops.mul(ops.cast(acc, ElementType.FLOAT), ws), qs[1]);
        return c.addBias(y, name);
    }

    @Override
    public String cpu() {
        return "MatMulInteger u8 x u8 -> int32 (CPU int8 GEMM): int8 symmetric per-channel weights, dynamic "
                + "symmetric per-token int8 activations (both sent as uint8 + 128), rescaled in fp32";
    }

    @Override
    public String cuda() {
        return "the CUDA provider's MatMulInteger is s8 x s8 only: these u8 x u8 nodes fall back to the CPU "
                + "(not measured)";
    }

    @Override
    public String label() {
        return "int8-sym-per-channel weights, int8-sym-per-token activations";
    }
}
