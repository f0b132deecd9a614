package dev.blip2serve.quantize.emit;

import dev.blip2serve.blip2.ComputePrecision;
import dev.blip2serve.onnx.ElementType;
import dev.blip2serve.onnx.Tensors;
import dev.blip2serve.onnx.Value;
import dev.blip2serve.quantmath.MatMulNBitsPacking;
import dev.blip2serve.quantmath.MatMulNBitsWeight;
import dev.blip2serve.quantmath.QuantSpec;
import dev.blip2serve.quantmath.QuantizedWeight;
import dev.blip2serve.quantmath.WeightQuantizer;

/**
 * Real low-bit weights in {@code com.microsoft::MatMulNBits} (3-bit codes in the 4-bit container), optionally
 * behind simulated activation quantization (W4A4: quantize-dequantize of the input in the graph; no runtime has
 * W4A4 kernels). Per-tensor and per-channel weight scales are stored as blocks that repeat the scale, since the
 * op only knows blocks: the block size is then the largest power of two in [16, 256] dividing K.
 *
 * @param weights     weight quantizer: 3, 4 or 8 bits; GROUP, PER_CHANNEL or PER_TENSOR
 * @param activations simulated activation quantizer, or null for float activations (W4A16)
 * @param cpuAccuracyLevel MatMulNBits {@code accuracy_level}: 0 = fp32 activations; 4 = the CPU kernel quantizes
 *                    them to int8 per block (W4A8 compute; CUDA ignores it)
 */
public record NBitsScheme(QuantSpec weights, QuantSpec activations, int cpuAccuracyLevel) implements LinearScheme {

    public NBitsScheme {
        if (cpuAccuracyLevel != 0 && cpuAccuracyLevel != 4) {
            throw new IllegalArgumentException("accuracy_level must be 0 or 4, got " + cpuAccuracyLevel);
        }
        if (weights.granularity() == QuantSpec.Granularity.PER_TOKEN) {
            throw new IllegalArgumentException("weights are quantized per tensor, channel or group");
        }
        if (activations != null && (activations.granularity() == QuantSpec.Granularity.PER_CHANNEL
                || !activations.symmetric())) {
            throw new IllegalArgumentException("simulated activations are symmetric, per tensor, token or group");
        }
    }

    /** The MatMulNBits block size for a linear of width K, or -1 when no block size fits. */
    public int blockSize(int k) {
        if (weights.isGrouped()) {
            return k % weights.groupSize() == 0 ? weights.groupSize() : -1;
        }
        for (int b = 256; b >= QuantSpec.MIN_GROUP_SIZE; b /= 2) {
            if (k % b == 0) {
                return b;
            }
        }
        return -1;
    }

    @Override
    public Value emit(EmitContext c, Value x, String name) {
        int[] nk = c.weightShape(name);
        int n = nk[0];
        int k = nk[1];
        int block = blockSize(k);
        if (block < 0) {
            throw new IllegalArgumentException(name + ": no MatMulNBits block size divides K = " + k);
        }
        if (activations != null && activations.isGrouped() && k % activations.groupSize() != 0) {
            throw new IllegalArgumentException(name + ": activation group size " + activations.groupSize()
                    + " does not divide K = " + k);
        }
        ElementType act = c.weights().activationType(name);
        if (activations != null && act != ElementType.FLOAT) {
            throw new IllegalArgumentException(name + ": simulated activation quantization computes in fp32 only");
        }
        int bits = MatMulNBitsPacking.containerBits(weights.bits());
        int blocks = k / block;
        boolean zeros = needsZeroPoints();
        Memo<MatMulNBitsWeight> packed = new Memo<>(() -> pack(c.loadWeight(name), n, k, block), zeros ? 3 : 2);
        var g = c.graph();
        Value b = g.initializer(name + ".qweight", Tensors.raw(ElementType.UINT8,
                new long[] {n, blocks, (long) block * bits / 8}, () -> packed.get().b()));
        // MatMulNBits takes its scales in the activations' type (T1): fp16 on the CUDA fast path
        Value scales = g.initializer(name + ".wscales", Tensors.floats(act, new long[] {n, blocks},
                () -> packed.get().scales()));
        Value zp = zeros ? g.initializer(name + ".wzeros", Tensors.raw(ElementType.UINT8,
                new long[] {n, (blocks * bits + 7) / 8}, () -> packed.get().zeroPointsOrDefault())) : null;
        Value in = activations == null ? x : QuantOps.fakeQuantize(c.ops(), x, activations, k);
        return c.addBias(QuantOps.matMulNBits(c.ops(), in, b, scales, zp, k, n, bits, block, cpuAccuracyLevel), name);
    }

    /** ORT's default zero point is 2^(bits-1): symmetric 4- and 8-bit weights need none, 3-bit and asymmetric do. */
    private boolean needsZeroPoints() {
        return !weights.symmetric() || weights.bits() == 3;
    }

    /** Quantizes {@code w [n, k]} and packs it with {@code block}-sized blocks, exactly as the graph stores it. */
    public MatMulNBitsWeight pack(float[] w, int n, int k, int block) {
        QuantizedWeight q = WeightQuantizer.quantize(w, n, k, weights);
        if (!weights.isGrouped()) {
            q = asBlocks(q, block);
        }
        return MatMulNBitsPacking.pack(q);
    }

    /** A per-tensor or per-channel weight as a grouped one whose blocks repeat their row's (or the tensor's) scale. */
    static QuantizedWeight asBlocks(QuantizedWeight q, int block) {
        int n = q.rows();
        int perRow = q.cols() / block;
        float[] scales = new float[n * perRow];
        byte[] zeros = q.zeroPoints() == null ? null : new byte[scales.length];
        for (int r = 0; r < n; r++) {
            int src = q.spec().granularity() == QuantSpec.Granularity.PER_TENSOR ? 0 : r;
            for (int b = 0; b < perRow; b++) {
                scales[r * perRow + b] = q.scales()[src];
                if (zeros != null) {
                    zeros[r * perRow + b] = q.zeroPoints()[src];
                }
            }
        }
        QuantSpec grouped = QuantSpec.grouped(q.spec().bits(), block, q.spec().symmetric());
        return new QuantizedWeight(grouped, n, q.cols(), q.codes(), scales, zeros);
    }

    @Override
    public String cpu() {
        String w = cpuAccuracyLevel == 4
                ? "MatMulNBits (" + weightWords() + "; accuracy_level 4: activations quantized to int8 per block inside the kernel, int32 accumulate)"
                : "MatMulNBits (" + weightWords() + ", fp32 accumulate; accuracy_level 0)";
        return activations == null ? w
                : "simulated " + actWords() + " activations (quantize-dequantize in the graph, fp32) into " + w
                + "; no runtime has W4A4 kernels";
    }

    @Override
    public String cuda() {
        String w = "MatMulNBits CUDA kernel (" + weightWords() + "; fp32 activations: the fast path wants fp16; not measured)";
        return activations == null ? w : "simulated " + actWords() + " activations (elementwise ops) into " + w;
    }

    @Override
    public String cpu(ComputePrecision compute) {
        return compute == ComputePrecision.FP16 && activations == null
                ? "MatMulNBits (" + weightWords() + ", fp16 activations" + (cpuAccuracyLevel == 4 ? "; accuracy_level 4" : "")
                        + ")" : cpu();
    }

    @Override
    public String cuda(ComputePrecision compute) {
        return compute == ComputePrecision.FP16 && activations == null
                ? "MatMulNBits CUDA kernel (" + weightWords() + ", fp16 activations: the fast path; not measured)" : cuda();
    }

    @Override
    public String label() {
        String acts = activations != null ? actWords() + " simulated"
                : cpuAccuracyLevel == 4 ? "fp32 (int8 per block inside the CPU kernel)" : "fp32";
        return weights.label() + " weights, " + acts + " activations";
    }

    private String weightWords() {
        return "real " + weights.bits() + "-bit " + (weights.symmetric() ? "symmetric" : "asymmetric") + " weights, "
                + switch (weights.granularity()) {
                    case GROUP -> "group " + weights.groupSize();
                    case PER_CHANNEL -> "per channel";
                    case PER_TENSOR -> "per tensor";
                    case PER_TOKEN -> "per token";
                }
                + (weights.bits() == 3 ? " in the 4-bit container" : "");
    }

    private String actWords() {
        return "int" + activations.bits() + " symmetric dynamic " + switch (activations.granularity()) {
            case GROUP -> "per-token per-group-" + activations.groupSize();
            case PER_TOKEN -> "per-token";
            case PER_TENSOR -> "per-tensor";
            case PER_CHANNEL -> "per-channel";
        };
    }
}
