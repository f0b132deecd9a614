package dev.blip2serve.blip2;

import dev.blip2serve.onnx.ElementType;

/**
 * The element type a graph's activations have between operators. FP32 is the CPU build's precision (weights
 * stored narrower are cast up once at session start). FP16 is what Hugging Face computes when a BLIP-2 model is
 * loaded with {@code dtype=float16}, and what the CUDA execution provider is fast at: ViT, language projection
 * and OPT in float16, the query tokens and the Q-Former kept in float32 (transformers'
 * {@code _keep_in_fp32_modules}); softmax and LayerNorm statistics in float32, as the CUDA kernels do.
 */
public enum ComputePrecision {
    FP32(ElementType.FLOAT), FP16(ElementType.FLOAT16);

    private final ElementType activations;

    ComputePrecision(ElementType activations) {
        this.activations = activations;
    }

    /** The activations' element type where this precision applies. */
    public ElementType activations() {
        return activations;
    }
}
