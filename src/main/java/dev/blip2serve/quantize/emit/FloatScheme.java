package dev.blip2serve.quantize.emit;

import dev.blip2serve.onnx.Value;

/** No quantization: the float MatMul of {@code GraphWeights}, over the transformed weights (smoothing-only checks). */
public record FloatScheme() implements LinearScheme {

    @Override
    public Value emit(EmitContext c, Value x, String name) {
        return c.weights().linear(c.ops(), x, name);
    }

    @Override
    public String cpu() {
        return "fp32 MatMul";
    }

    @Override
    public String cuda() {
        return "fp32 MatMul";
    }

    @Override
    public String label() {
        return "fp32";
    }
}
