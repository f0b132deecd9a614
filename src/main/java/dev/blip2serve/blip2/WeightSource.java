package dev.blip2serve.blip2;

/**
 * BLIP-2 weights by the project's own logical names ({@code lm.layers.3.attn.q_proj.weight}), so graph
 * code never sees a checkpoint's naming. Linear weights are {@code [out, in]}, as PyTorch stores them.
 * One implementation per checkpoint layout maps these names (see {@code blip2.hf}).
 */
public interface WeightSource {

    boolean has(String name);

    /** Dimensions, without loading the data. */
    long[] shape(String name);

    /** The data as float32 (a fresh array the caller may modify). */
    float[] load(String name);
}
