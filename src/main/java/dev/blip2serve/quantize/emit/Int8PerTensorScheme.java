package dev.blip2serve.quantize.emit;

import dev.blip2serve.onnx.ElementType;
import dev.blip2serve.onnx.Ops;
import dev.blip2serve.onnx.Value;
import dev.blip2serve.quantmath.QuantSpec;

/**
 * W8A8 per tensor (the paper's Table 1 setting) with real int8 compute: one int8 symmetric scale for the
 * weight, one dynamic uint8 asymmetric scale and zero point for the whole activation tensor:
 * <pre>
 *   (q, a_scale, a_zp) = DynamicQuantizeLinear(x)
 *   acc = MatMulInteger(q, W_q + 128 [K, N] uint8, a_zp, 128)   int32
 *   y   = Cast(acc, float) * (a_scale * w_scale) + bias
 * </pre>
 * ONNX Runtime's CPU optimizer fuses this into {@code DynamicQuantizeMatMul}. The weight is uint8 with zero point 128
 * (u8 x u8: exact on every CPU, see {@link Int8Weight}).
 */
public record Int8PerTensorScheme() implements LinearScheme {

    private static final QuantSpec WEIGHTS = QuantSpec.perTensor(8, true);

    @Override
    public Value emit(EmitContext c, Value x, String name) {
        Int8Weight w = Int8Weight.of(c, name, WEIGHTS, ".wscale", false);
        Value ws = w.scales();
        Ops ops = c.ops();
        Value[] q = QuantOps.dynamicQuantizeLinear(ops, x);
        Value acc = QuantOps.matMulInteger(ops, q[0], w.codes(), q[2], w.zeroPoint());
        Value y = ops.mul(ops.cast(acc, ElementType.FLOAT), ops.mul(q[1], ws));
        return c.addBias(y, name);
    }

    @Override
    public String cpu() {
        return "DynamicQuantizeLinear (uint8 asymmetric per-tensor activations) + MatMulInteger u8 x u8 -> int32 "
                + "(CPU int8 GEMM; fused to DynamicQuantizeMatMul), int8 symmetric per-tensor weights sent as uint8 + 128";
    }

    @Override
    public String cuda() {
        return "no CUDA kernels for DynamicQuantizeLinear or u8 x u8 MatMulInteger: these nodes fall back to the "
                + "CPU (not measured)";
    }

    @Override
    public String label() {
        return "int8-sym-per-tensor weights, uint8-asym-per-tensor dynamic activations";
    }
}
