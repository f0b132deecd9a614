package dev.blip2serve.quantize;

import dev.blip2serve.quantmath.QuantSpec;
import dev.blip2serve.quantmath.SmoothQuant;
import dev.blip2serve.quantize.emit.Int8PerTensorScheme;
import dev.blip2serve.quantize.emit.Int8PerTokenScheme;
import dev.blip2serve.quantize.emit.LinearScheme;
import dev.blip2serve.quantize.emit.NBitsScheme;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A preset with its parameters resolved and checked: alpha, group size, weight bits, scope.
 *
 * @param alpha     SmoothQuant alpha (fixed-alpha presets; ignored otherwise)
 * @param groupSize elements per group along K (grouped presets; 0 otherwise)
 * @param bits      weight bits
 * @param clip      AWQ's weight clipping search (AWQ presets; default on)
 * @param cpuAccuracyLevel MatMulNBits {@code accuracy_level} of the weight-only presets: 0 keeps fp32 activations;
 *                  4 lets ONNX Runtime's CPU kernel quantize activations to int8 per block (W4A8 compute, faster)
 * @param int8LmHead the LM head as 8-bit symmetric weights in MatMulNBits (weight-only presets at accuracy level 4)
 */
public record Recipe(Preset preset, double alpha, int groupSize, int bits, Scope scope, boolean clip, int cpuAccuracyLevel,
                     boolean int8LmHead) {

    /** Elements per scale of the 8-bit LM head along D. */
    public static final int LM_HEAD_GROUP = 128;

    /**
     * Resolves CLI values (null = the preset's default) and validates them; every problem is an
     * {@link IllegalArgumentException} with a message for the user.
     */
    public static Recipe of(Preset preset, Double alpha, Integer groupSize, Integer bits, Scope scope) {
        return of(preset, alpha, groupSize, bits, scope, null);
    }

    /** {@link #of(Preset, Double, Integer, Integer, Scope)} with AWQ clipping switched ({@code clip}, null = default). */
    public static Recipe of(Preset preset, Double alpha, Integer groupSize, Integer bits, Scope scope, Boolean clip) {
        return of(preset, alpha, groupSize, bits, scope, clip, null, false);
    }

    /**
     * ... and the MatMulNBits CPU accuracy level of the weight-only presets ({@code cpuAccuracyLevel}, null = 0,
     * fp32 activations) and an 8-bit LM head: only with a weight-only preset at accuracy level 4, because ONNX
     * Runtime's 8-bit MatMulNBits has a fast CPU kernel only for int8 activations (OPT-2.7b's head: 5.5 ms per token
     * at level 4, 533 ms at level 0, 18 ms as the fp32 Gemm).
     */
    public static Recipe of(Preset preset, Double alpha, Integer groupSize, Integer bits, Scope scope, Boolean clip,
                            Integer cpuAccuracyLevel, boolean int8LmHead) {
        if (int8LmHead && (preset.activations() != Preset.Activations.FLOAT || cpuAccuracyLevel == null
                || cpuAccuracyLevel != 4)) {
            throw new IllegalArgumentException("--int8-lm-head needs a weight-only preset (w4a16*, w3a16*) with "
                    + "--cpu-accuracy-level 4: ONNX Runtime's 8-bit MatMulNBits is fast on the CPU only with int8 activations");
        }
        if (cpuAccuracyLevel != null) {
            if (preset.activations() != Preset.Activations.FLOAT) {
                throw new IllegalArgumentException("--cpu-accuracy-level applies to the weight-only presets (w4a16*, w3a16*), not "
                        + preset.label());
            }
            if (cpuAccuracyLevel != 0 && cpuAccuracyLevel != 4) {
                throw new IllegalArgumentException("--cpu-accuracy-level must be 0 (fp32 activations) or 4 (int8 activations per block), got "
                        + cpuAccuracyLevel);
            }
        }
        if (clip != null && preset.method() != Preset.Method.AWQ) {
            throw new IllegalArgumentException("clipping applies to the AWQ presets (w4a16, w3a16), not " + preset.label());
        }
        if (alpha != null) {
            if (!preset.takesAlpha()) {
                throw new IllegalArgumentException("--alpha applies to the SmoothQuant presets (w8a8, w8a8-tensor, "
                        + "w4a4-tensor, w4a4-token, w4a4-g128), not " + preset.label());
            }
            if (!(alpha >= 0.0 && alpha <= 1.0)) {
                throw new IllegalArgumentException("--alpha must be in [0, 1], got " + alpha);
            }
        }
        if (groupSize != null) {
            if (!preset.grouped()) {
                throw new IllegalArgumentException("--group-size applies to grouped presets (w4a16*, w3a16*, "
                        + "w4a4-g128, w4a4-gaware), not " + preset.label());
            }
            if (groupSize < QuantSpec.MIN_GROUP_SIZE || Integer.bitCount(groupSize) != 1) {
                throw new IllegalArgumentException("--group-size must be a power of two >= " + QuantSpec.MIN_GROUP_SIZE
                        + ", got " + groupSize);
            }
        }
        if (bits != null) {
            if (bits != 3 && bits != 4 && bits != 8) {
                throw new IllegalArgumentException("--bits must be 3, 4 or 8, got " + bits);
            }
            if (!preset.takesBits() && bits != preset.weightBits()) {
                throw new IllegalArgumentException("--bits " + bits + " does not fit " + preset.label()
                        + " (weights are " + preset.weightBits() + "-bit; --bits applies to the weight-only presets)");
            }
        }
        double a = alpha != null ? alpha : Preset.DEFAULT_ALPHA;
        SmoothQuant.requireAlpha(a);
        int g = preset.grouped() ? (groupSize != null ? groupSize : Preset.DEFAULT_GROUP_SIZE) : 0;
        return new Recipe(preset, a, g, bits != null ? bits : preset.weightBits(), scope != null ? scope : Scope.LLM,
                preset.method() == Preset.Method.AWQ && (clip == null || clip), cpuAccuracyLevel != null ? cpuAccuracyLevel : 0,
                int8LmHead);
    }

    /** The weight quantizer. */
    public QuantSpec weightSpec() {
        boolean sym = preset.symmetricWeights();
        return switch (preset.weightGranularity()) {
            case PER_TENSOR -> QuantSpec.perTensor(bits, sym);
            case PER_CHANNEL -> QuantSpec.perChannel(bits, sym);
            case GROUP -> QuantSpec.grouped(bits, groupSize, sym);
        };
    }

    /** The simulated activation quantizer of W4A4 presets, or null. */
    public QuantSpec fakeActivationSpec() {
        return switch (preset.activations()) {
            case FAKE4_PER_TENSOR -> QuantSpec.perTensor(4, true);
            case FAKE4_PER_TOKEN -> QuantSpec.perToken(4, true);
            case FAKE4_PER_GROUP -> QuantSpec.grouped(4, groupSize, true);
            default -> null;
        };
    }

    /** How each quantized linear computes. */
    public LinearScheme scheme() {
        return switch (preset.activations()) {
            case INT8_PER_TOKEN -> new Int8PerTokenScheme();
            case INT8_PER_TENSOR -> new Int8PerTensorScheme();
            case FLOAT -> new NBitsScheme(weightSpec(), null, cpuAccuracyLevel);
            default -> new NBitsScheme(weightSpec(), fakeActivationSpec(), 0);
        };
    }

    /**
     * How the LM head of a model {@code hidden} wide computes: null for float, else 8-bit symmetric weights per group
     * of 128 along D (per row where 128 does not divide D).
     */
    public NBitsScheme lmHeadScheme(int hidden) {
        if (!int8LmHead) {
            return null;
        }
        QuantSpec spec = hidden % LM_HEAD_GROUP == 0 ? QuantSpec.grouped(8, LM_HEAD_GROUP, true) : QuantSpec.perChannel(8, true);
        return new NBitsScheme(spec, null, cpuAccuracyLevel);
    }

    /**
     * Checks the recipe against a model: every linear in scope must have a K that the group size divides (and,
     * for MatMulNBits without groups, a block size of at least 16).
     */
    public void validate(LinearTopology topology) {
        for (String linear : topology.linears()) {
            if (!scope.includes(linear)) {
                continue;
            }
            int k = topology.inFeatures(linear);
            if (groupSize > 0 && k % groupSize != 0) {
                throw new IllegalArgumentException("--group-size " + groupSize + " does not divide K = " + k + " of "
                        + linear + " (scope " + scope.label() + "); largest power of two dividing every K in scope: "
                        + largestCommonGroup(topology));
            }
            if (scheme() instanceof NBitsScheme nb && nb.blockSize(k) < 0) {
                throw new IllegalArgumentException(linear + ": K = " + k
                        + " is not a multiple of 16, the smallest MatMulNBits block size");
            }
        }
    }

    private String largestCommonGroup(LinearTopology topology) {
        for (int g = 1 << 12; g >= QuantSpec.MIN_GROUP_SIZE; g /= 2) {
            int gg = g;
            if (topology.linears().stream().filter(scope::includes).allMatch(l -> topology.inFeatures(l) % gg == 0)) {
                return Integer.toString(g);
            }
        }
        return "none (>= 16)";
    }

    /** The method's parameters for the manifest. */
    public Map<String, Object> parameters() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("preset", preset.label());
        m.put("method", preset.method().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        m.put("scope", scope.label());
        m.put("weight_bits", bits);
        m.put("weights", weightSpec().label());
        m.put("symmetric_weights", preset.symmetricWeights());
        if (groupSize > 0) {
            m.put("group_size", groupSize);
        }
        if (preset.takesAlpha()) {
            m.put("alpha", alpha);
        }
        if (preset.method() == Preset.Method.AWQ) {
            m.put("clip", clip);
        }
        if (cpuAccuracyLevel != 0) {
            m.put("cpu_accuracy_level", cpuAccuracyLevel);
        }
        m.put("activations", switch (preset.activations()) {
            case FLOAT -> cpuAccuracyLevel == 4 ? "fp32; int8 per block inside the CPU kernel (accuracy_level 4)" : "fp32 (weight-only)";
            case INT8_PER_TOKEN -> "int8-sym-per-token (dynamic, real int8)";
            case INT8_PER_TENSOR -> "uint8-asym-per-tensor (dynamic, real int8)";
            default -> fakeActivationSpec().label() + " (dynamic, simulated)";
        });
        return m;
    }
}
