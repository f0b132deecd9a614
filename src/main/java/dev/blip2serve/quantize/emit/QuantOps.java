package dev.blip2serve.quantize.emit;

import dev.blip2serve.onnx.ElementType;
import dev.blip2serve.onnx.GraphBuilder;
import dev.blip2serve.onnx.Ops;
import dev.blip2serve.onnx.Value;
import dev.blip2serve.quantmath.QuantSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The quantization operators the variants emit, on top of {@link Ops}: ONNX {@code MatMulInteger} and
 * {@code DynamicQuantizeLinear}, ONNX Runtime's {@code MatMulNBits}, and the dynamic activation
 * quantizers written out as elementwise ops.
 */
public final class QuantOps {

    private QuantOps() {
    }

    /**
     * {@code com.microsoft::MatMulNBits}: {@code Y [.., N] = A [.., K] · dequant(B)^T}; zero points may be null;
     * {@code accuracyLevel} 0 leaves the attribute out (fp32 compute).
     */
    public static Value matMulNBits(Ops ops, Value a, Value b, Value scales, Value zeroPoints, int k, int n, int bits,
                                    int blockSize, int accuracyLevel) {
        Map<String, Object> attrs = new LinkedHashMap<>();
        attrs.put("K", (long) k);
        attrs.put("N", (long) n);
        attrs.put("bits", (long) bits);
        attrs.put("block_size", (long) blockSize);
        if (accuracyLevel != 0) {
            attrs.put("accuracy_level", (long) accuracyLevel);
        }
        return zeroPoints == null
                ? ops.contrib("MatMulNBits", attrs, a, b, scales)
                : ops.contrib("MatMulNBits", attrs, a, b, scales, zeroPoints);
    }

    /** ONNX {@code MatMulInteger}: int32 {@code (A - a_zp) · (B - b_zp)}; either zero point may be null. */
    public static Value matMulInteger(Ops ops, Value a, Value b, Value aZero, Value bZero) {
        List<Value> in = bZero != null ? java.util.Arrays.asList(a, b, aZero, bZero)
                : aZero != null ? List.of(a, b, aZero) : List.of(a, b);
        return ops.graph().addNode("MatMulInteger", "", in, Map.of()).getFirst();
    }

    /** ONNX {@code DynamicQuantizeLinear}: uint8 codes, float scale, uint8 zero point of the whole tensor. */
    public static Value[] dynamicQuantizeLinear(Ops ops, Value x) {
        GraphBuilder g = ops.graph();
        String[] names = g.outputNames("DynamicQuantizeLinear", 3);
        return g.addNode("DynamicQuantizeLinear", "", List.of(x), Map.of(), names).toArray(Value[]::new);
    }

    /**
     * Symmetric per-token scale of {@code x [.., K]}: {@code Max(ReduceMax|x| over the last axis, 1e-5) / qmax},
     * shape {@code [.., 1]} (the formula of {@code quant.ActivationQuantizer}).
     */
    public static Value perTokenScale(Ops ops, Value x, int qmax) {
        GraphBuilder g = ops.graph();
        Value m = ops.reduceMax(ops.abs(x), true, -1);
        return ops.div(ops.max(m, g.constFloat(1e-5f)), g.constFloat(qmax));
    }

    /**
     * Simulated (quantize-dequantize) symmetric activation quantization of {@code x [B, S, K]}, the graph twin of
     * {@code quant.ActivationQuantizer}: per tensor, per token, or per token per group of K.
     */
    public static Value fakeQuantize(Ops ops, Value x, QuantSpec spec, int k) {
        if (!spec.symmetric()) {
            throw new IllegalArgumentException("simulated activation quantization is symmetric");
        }
        GraphBuilder g = ops.graph();
        int qmax = spec.qmax();
        Value in = x;
        Value m = switch (spec.granularity()) {
            case PER_TENSOR -> ops.reduceMax(ops.abs(x), false);
            case PER_TOKEN -> ops.reduceMax(ops.abs(x), true, -1);
            case GROUP -> {
                in = ops.reshape(x, 0, 0, k / spec.groupSize(), spec.groupSize());          // [B, S, K/g, g]
                yield ops.reduceMax(ops.abs(in), true, -1);                                 // [B, S, K/g, 1]
            }
            case PER_CHANNEL -> throw new IllegalArgumentException("activations are quantized per tensor, token or group");
        };
        Value s = ops.div(ops.max(m, g.constFloat(1e-5f)), g.constFloat(qmax));
        Value q = ops.clip(ops.round(ops.div(in, s)), g.constFloat(-qmax), g.constFloat(qmax));
        Value out = ops.mul(q, s);
        return spec.isGrouped() ? ops.reshape(out, 0, 0, k) : out;
    }

    /**
     * Dynamic symmetric per-token int8 quantization of {@code x [.., K]} for {@code MatMulInteger}: codes
     * {@code Round(x / s)} in [-127, 127] shifted by 128 into uint8 (ONNX Runtime's fast CPU GEMM is u8 x s8;
     * the zero point 128 is passed to MatMulInteger), and the scale {@code s [.., 1]}.
     */
    public static Value[] quantizePerTokenInt8(Ops ops, Value x) {
        GraphBuilder g = ops.graph();
        Value s = perTokenScale(ops, x, 127);
        Value q = ops.add(ops.round(ops.div(x, s)), g.constFloat(128f));
        q = ops.cast(ops.clip(q, g.constFloat(0f), g.constFloat(255f)), ElementType.UINT8);
        return new Value[] {q, s};
    }
}
