package dev.blip2serve.blip2;

import dev.blip2serve.onnx.ElementType;
import dev.blip2serve.onnx.Ops;
import dev.blip2serve.onnx.Value;

/** Multi-head attention pieces shared by the ViT, the Q-Former and OPT. */
final class Attention {

    private Attention() {
    }

    /** [B, S, H*hd] -> [B, H, S, hd]. */
    static Value splitHeads(Ops ops, Value x, int heads, int headDim) {
        return ops.transpose(ops.reshape(x, 0, 0, heads, headDim), 0, 2, 1, 3);
    }

    /** [B, H, S, hd] -> [B, S, H*hd]. */
    static Value mergeHeads(Ops ops, Value x, int hidden) {
        return ops.reshape(ops.transpose(x, 0, 2, 1, 3), 0, 0, hidden);
    }

    /**
     * softmax(q k^T [*scale | /divisor] [+ bias]) v, each [B, H, S, hd] of element type {@code type}; returns
     * [B, H, Sq, hd]. The scale is applied as HF applies it per model, so rounding matches: the ViT multiplies the
     * scores, the Q-Former divides them, OPT pre-scales q (pass {@code Scaling.NONE} here). In float16 the scores are
     * taken to float32 before the scaling, the (float32) bias and the softmax, and the probabilities back to
     * float16, as the CUDA attention kernels accumulate (and HF's OPT upcasts its softmax).
     */
    static Value scores(Ops ops, Value q, Value k, Value v, Scaling scaling, float factor, Value bias, ElementType type) {
        Value s = ops.cast(ops.matMul(q, ops.transpose(k, 0, 1, 3, 2)), type, ElementType.FLOAT);
        s = switch (scaling) {
            case MULTIPLY -> ops.mul(s, ops.graph().constFloat(factor));
            case DIVIDE -> ops.div(s, ops.graph().constFloat(factor));
            case NONE -> s;
        };
        if (bias != null) {
            s = ops.add(s, bias);
        }
        return ops.matMul(ops.cast(ops.softmax(s, -1), ElementType.FLOAT, type), v);
    }

    enum Scaling { MULTIPLY, DIVIDE, NONE }
}
