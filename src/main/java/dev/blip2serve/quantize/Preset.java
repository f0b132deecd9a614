package dev.blip2serve.quantize;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The named quantization recipes of the seed paper's tables. Defaults: alpha 0.5 (SmoothQuant family), group
 * size 128 (grouped presets), scope {@link Scope#LLM}.
 */
public enum Preset {
    /** SmoothQuant, int8 per-channel weights, dynamic int8 per-token activations, real int8 GEMM (MatMulInteger). */
    W8A8("w8a8", Method.SMOOTHQUANT, 8, WeightGranularity.PER_CHANNEL, true, Activations.INT8_PER_TOKEN),
    /** SmoothQuant, int8 per-tensor weights and dynamic per-tensor uint8 activations (paper Table 1). */
    W8A8_TENSOR("w8a8-tensor", Method.SMOOTHQUANT, 8, WeightGranularity.PER_TENSOR, true, Activations.INT8_PER_TENSOR),
    /** AWQ (scale search + clipping), 4-bit asymmetric group weights in MatMulNBits, float activations. */
    W4A16("w4a16", Method.AWQ, 4, WeightGranularity.GROUP, false, Activations.FLOAT),
    /** Round-to-nearest 4-bit asymmetric group weights. */
    W4A16_RTN("w4a16-rtn", Method.RTN, 4, WeightGranularity.GROUP, false, Activations.FLOAT),
    /** AWQ with 3-bit weights (4-bit container). */
    W3A16("w3a16", Method.AWQ, 3, WeightGranularity.GROUP, false, Activations.FLOAT),
    /** Round-to-nearest 3-bit weights. */
    W3A16_RTN("w3a16-rtn", Method.RTN, 3, WeightGranularity.GROUP, false, Activations.FLOAT),
    /** SmoothQuant, 4-bit per-tensor weights, simulated 4-bit per-tensor activations. */
    W4A4_TENSOR("w4a4-tensor", Method.SMOOTHQUANT, 4, WeightGranularity.PER_TENSOR, true, Activations.FAKE4_PER_TENSOR),
    /** SmoothQuant, 4-bit per-channel weights, simulated 4-bit per-token activations. */
    W4A4_TOKEN("w4a4-token", Method.SMOOTHQUANT, 4, WeightGranularity.PER_CHANNEL, true, Activations.FAKE4_PER_TOKEN),
    /** Vanilla SmoothQuant, 4-bit group weights, simulated 4-bit per-token per-group activations. */
    W4A4_G128("w4a4-g128", Method.SMOOTHQUANT, 4, WeightGranularity.GROUP, true, Activations.FAKE4_PER_GROUP),
    /** The paper's group-aware SmoothQuant: alpha searched per group with a W4A4 group loss, then as w4a4-g128. */
    W4A4_GAWARE("w4a4-gaware", Method.GROUP_AWARE, 4, WeightGranularity.GROUP, true, Activations.FAKE4_PER_GROUP);

    /** How the per-group scales are found. */
    public enum Method {
        /** No scales: round to nearest. */
        RTN,
        /** {@code s = max|X|^alpha / max|W|^(1-alpha)}, fixed alpha. */
        SMOOTHQUANT,
        /** AWQ's grid search of {@code mean|x|^r} against the weight-only output error, then clipping. */
        AWQ,
        /** Grid search of SmoothQuant's alpha against the W4A4 group-quantized output error. */
        GROUP_AWARE
    }

    /** Where weight scales change. */
    public enum WeightGranularity { PER_TENSOR, PER_CHANNEL, GROUP }

    /** What happens to the activations. */
    public enum Activations {
        /** Float (weight-only quantization). */
        FLOAT,
        /** Real int8, dynamic symmetric per token. */
        INT8_PER_TOKEN,
        /** Real uint8, dynamic asymmetric per tensor (DynamicQuantizeLinear). */
        INT8_PER_TENSOR,
        /** Simulated int4, dynamic symmetric per tensor. */
        FAKE4_PER_TENSOR,
        /** Simulated int4, dynamic symmetric per token. */
        FAKE4_PER_TOKEN,
        /** Simulated int4, dynamic symmetric per token per group of K. */
        FAKE4_PER_GROUP
    }

    public static final double DEFAULT_ALPHA = 0.5;
    public static final int DEFAULT_GROUP_SIZE = 128;

    private final String label;
    private final Method method;
    private final int weightBits;
    private final WeightGranularity weightGranularity;
    private final boolean symmetricWeights;
    private final Activations activations;

    Preset(String label, Method method, int weightBits, WeightGranularity weightGranularity, boolean symmetricWeights,
           Activations activations) {
        this.label = label;
        this.method = method;
        this.weightBits = weightBits;
        this.weightGranularity = weightGranularity;
        this.symmetricWeights = symmetricWeights;
        this.activations = activations;
    }

    /** The CLI name, e.g. {@code w4a16-rtn}. */
    public String label() {
        return label;
    }

    public Method method() {
        return method;
    }

    public int weightBits() {
        return weightBits;
    }

    public WeightGranularity weightGranularity() {
        return weightGranularity;
    }

    public boolean symmetricWeights() {
        return symmetricWeights;
    }

    public Activations activations() {
        return activations;
    }

    /** True when a group size applies (grouped weights or per-group activations). */
    public boolean grouped() {
        return weightGranularity == WeightGranularity.GROUP;
    }

    /** True when the preset needs activation statistics from a calibration set. */
    public boolean needsCalibration() {
        return method != Method.RTN;
    }

    /** True when alpha applies (a fixed-alpha SmoothQuant preset). */
    public boolean takesAlpha() {
        return method == Method.SMOOTHQUANT;
    }

    /** True when {@code --bits} may change the weight bits (weight-only presets: 3, 4 or 8). */
    public boolean takesBits() {
        return activations == Activations.FLOAT;
    }

    /** Parses a CLI name; an {@link IllegalArgumentException} lists the presets otherwise. */
    public static Preset parse(String s) {
        for (Preset p : values()) {
            if (p.label.equals(s.toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown preset '" + s + "'; presets: " + names());
    }

    /** Every preset's CLI name, comma separated. */
    public static String names() {
        return Arrays.stream(values()).map(Preset::label).collect(Collectors.joining(", "));
    }
}
