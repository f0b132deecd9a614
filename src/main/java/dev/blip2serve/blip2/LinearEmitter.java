package dev.blip2serve.blip2;

import dev.blip2serve.onnx.Ops;
import dev.blip2serve.onnx.Value;

/**
 * Emits one linear layer {@code y = x W^T + b}. The float variants use a MatMul; quantized variants plug in
 * their own emitter (MatMulNBits, integer GEMMs, simulated activation quantization, smoothing scales).
 */
public interface LinearEmitter {

    /**
     * @param x    input [..., in]
     * @param name logical name of the linear ({@code lm.layers.3.attn.q_proj}); its weight is
     *             {@code name.weight} [out, in] and its optional bias {@code name.bias} [out]
     * @return output [..., out]
     */
    Value linear(Ops ops, Value x, String name);

    /**
     * The LM head {@code logits = h T^T} for {@code h [rows, D]} over {@code table} [V, D] (the tied embedding table
     * or a separate head). Float variants: a Gemm on the table itself, so a tied table is stored once.
     */
    default Value lmHead(Ops ops, GraphWeights weights, Value h, String table) {
        return ops.gemmTransB(h, weights.param(ops, table));                                          // [rows, V]
    }
}
