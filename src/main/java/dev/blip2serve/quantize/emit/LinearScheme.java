package dev.blip2serve.quantize.emit;

import dev.blip2serve.blip2.ComputePrecision;
import dev.blip2serve.onnx.Value;

/**
 * How one quantized linear computes in the graph: the weight format, the activation treatment and the ONNX
 * operators. Implementations load the (already smoothed) weight lazily, when the model writer asks for it.
 */
public sealed interface LinearScheme permits FloatScheme, NBitsScheme, Int8PerTokenScheme, Int8PerTensorScheme {

    /**
     * @param x    input {@code [B, S, K]} (already divided by an explicit smoothing scale where there is one)
     * @param name logical name of the linear
     * @return output {@code [B, S, N]}, bias included
     */
    Value emit(EmitContext c, Value x, String name);

    /** How it computes on ONNX Runtime's CPU provider, for the manifest. */
    String cpu();

    /** How it computes (or would) on the CUDA provider, for the manifest. */
    String cuda();

    /** {@link #cpu()} in a graph whose activations have precision {@code compute}. */
    default String cpu(ComputePrecision compute) {
        return cpu();
    }

    /** {@link #cuda()} in a graph whose activations have precision {@code compute}. */
    default String cuda(ComputePrecision compute) {
        return cuda();
    }

    /** Short label, e.g. {@code int4-asym-g128 weights, fp32 activations}. */
    String label();
}
