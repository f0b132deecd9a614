package dev.blip2serve.convert;

import dev.blip2serve.blip2.ComputePrecision;
import dev.blip2serve.blip2.WeightPrecision;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The float variants {@code convert} writes, by name: how the weights are stored and in which precision the graphs
 * compute, with the words the manifest uses for it.
 */
public enum FloatVariant {
    /** float32 weights and compute: the reference. */
    FP32("fp32", WeightPrecision.FP32, ComputePrecision.FP32,
            "fp32 weights, fp32 MatMul",
            "fp32 weights, fp32 MatMul"),
    /** Half the bytes, float32 accuracy within fp16 rounding of the weights: the CPU's fp16. */
    FP16("fp16", WeightPrecision.FP16, ComputePrecision.FP32,
            "fp16 weights cast to fp32 at session start, fp32 MatMul",
            "fp16 weights cast to fp32 (fp32 compute; the fp16-compute variant computes in fp16)"),
    /** What HF computes with dtype=float16 and what CUDA is fast at. */
    FP16_COMPUTE("fp16-compute", WeightPrecision.FP16, ComputePrecision.FP16,
            "fp16 activations (ViT, projection, OPT; Q-Former fp32 as HF keeps it); ONNX Runtime's CPU provider inserts "
                    + "Casts: fp16 weights cast to fp32 at load, activations cast around operators without fp16 kernels",
            "fp16 compute (ViT, projection, OPT; Q-Former fp32 as HF keeps it), softmax and LayerNorm statistics in "
                    + "fp32; inputs, outputs and the KV cache cross the graph boundary as fp32");

    private final String label;
    private final WeightPrecision weights;
    private final ComputePrecision compute;
    private final String cpu;
    private final String cuda;

    FloatVariant(String label, WeightPrecision weights, ComputePrecision compute, String cpu, String cuda) {
        this.label = label;
        this.weights = weights;
        this.compute = compute;
        this.cpu = cpu;
        this.cuda = cuda;
    }

    /** @throws IllegalArgumentException naming the float variants when {@code name} is none of them */
    public static FloatVariant parse(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        for (FloatVariant v : values()) {
            if (v.label.equals(n)) {
                return v;
            }
        }
        throw new IllegalArgumentException("float variants are " + Arrays.stream(values()).map(FloatVariant::label)
                .collect(Collectors.joining(", ")) + "; got '" + name + "'");
    }

    /** The float variant that stores {@code weights} and computes in {@code compute}. */
    public static FloatVariant of(WeightPrecision weights, ComputePrecision compute) {
        for (FloatVariant v : values()) {
            if (v.weights == weights && v.compute == compute) {
                return v;
            }
        }
        throw new IllegalArgumentException("no float variant stores " + weights + " weights and computes in " + compute);
    }

    /** The variant's name in the repository. */
    public String label() {
        return label;
    }

    public WeightPrecision weights() {
        return weights;
    }

    public ComputePrecision compute() {
        return compute;
    }

    /** How the graphs compute on the CPU (manifest words). */
    public String cpu() {
        return cpu;
    }

    /** How the graphs compute on CUDA (manifest words). */
    public String cuda() {
        return cuda;
    }
}
