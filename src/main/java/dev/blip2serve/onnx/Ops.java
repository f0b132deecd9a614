package dev.blip2serve.onnx;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The typed op table: one method per ONNX operator the project emits, with the attributes it needs.
 * Nodes are added to the wrapped {@link GraphBuilder} under its current scope. ONNX domain at
 * {@link #OPSET}; contrib ops in {@link #MS_DOMAIN}.
 */
public final class Ops {

    /** The ONNX opset the graphs are written for (Gelu needs 20). */
    public static final int OPSET = 21;
    public static final String MS_DOMAIN = "com.microsoft";

    private final GraphBuilder g;

    public Ops(GraphBuilder g) {
        this.g = g;
    }

    public GraphBuilder graph() {
        return g;
    }

    private Value op(String type, Map<String, Object> attrs, Value... in) {
        return g.addNode(type, "", List.of(in), attrs).getFirst();
    }

    private Value op(String type, Value... in) {
        return op(type, Map.of(), in);
    }

    private static Map<String, Object> attrs(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    // ---- arithmetic ----

    public Value matMul(Value a, Value b) {
        return op("MatMul", a, b);
    }

    /** {@code a b^T} for 2-D a [M, K] and b [N, K] (shares b's storage with other users of b). */
    public Value gemmTransB(Value a, Value b) {
        return op("Gemm", attrs("transB", 1L), a, b);
    }

    public Value add(Value a, Value b) {
        return op("Add", a, b);
    }

    public Value sub(Value a, Value b) {
        return op("Sub", a, b);
    }

    public Value mul(Value a, Value b) {
        return op("Mul", a, b);
    }

    public Value div(Value a, Value b) {
        return op("Div", a, b);
    }

    public Value abs(Value x) {
        return op("Abs", x);
    }

    public Value round(Value x) {
        return op("Round", x);
    }

    public Value clip(Value x, Value min, Value max) {
        return op("Clip", x, min, max);
    }

    public Value max(Value a, Value b) {
        return op("Max", a, b);
    }

    // ---- activations and normalization ----

    public Value relu(Value x) {
        return op("Relu", x);
    }

    /** Exact (erf) GELU, as torch's {@code nn.GELU()} / HF's "gelu". */
    public Value gelu(Value x) {
        return op("Gelu", attrs("approximate", "none"), x);
    }

    public Value softmax(Value x, long axis) {
        return op("Softmax", attrs("axis", axis), x);
    }

    /** LayerNorm over the last axis; statistics in float32 (stash_type 1). */
    public Value layerNorm(Value x, Value scale, Value bias, double epsilon) {
        return op("LayerNormalization", attrs("axis", -1L, "epsilon", epsilon), x, scale, bias);
    }

    // ---- shapes ----

    /** Reshape; 0 in {@code shape} copies the input dimension, -1 infers one. */
    public Value reshape(Value x, Value shape) {
        return op("Reshape", x, shape);
    }

    public Value reshape(Value x, long... shape) {
        return reshape(x, g.constInt64(shape));
    }

    public Value transpose(Value x, long... perm) {
        return op("Transpose", attrs("perm", perm), x);
    }

    public Value concat(long axis, Value... xs) {
        return op("Concat", attrs("axis", axis), xs);
    }

    public Value gather(Value data, Value indices, long axis) {
        return op("Gather", attrs("axis", axis), data, indices);
    }

    public Value unsqueeze(Value x, long... axes) {
        return op("Unsqueeze", x, g.constInt64(axes));
    }

    public Value squeeze(Value x, long... axes) {
        return op("Squeeze", x, g.constInt64(axes));
    }

    /** {@code Shape(x)[start:end]} as int64. */
    public Value shape(Value x, long start, long end) {
        return op("Shape", attrs("start", start, "end", end), x);
    }

    /** One dimension of {@code x} as a 1-element int64 tensor. */
    public Value dim(Value x, long axis) {
        return shape(x, axis, axis + 1);
    }

    public Value slice(Value x, Value starts, Value ends, Value axes) {
        return op("Slice", x, starts, ends, axes);
    }

    public Value expand(Value x, Value shape) {
        return op("Expand", x, shape);
    }

    public Value cast(Value x, ElementType to) {
        return op("Cast", attrs("to", (long) to.code()), x);
    }

    /** {@code x} cast from {@code from} to {@code to}, or {@code x} itself when they are the same. */
    public Value cast(Value x, ElementType from, ElementType to) {
        return from == to ? x : cast(x, to);
    }

    public Value identity(Value x) {
        return op("Identity", x);
    }

    // ---- indices and masks ----

    public Value cumSum(Value x, Value axis) {
        return op("CumSum", x, axis);
    }

    public Value range(Value start, Value limit, Value delta) {
        return op("Range", start, limit, delta);
    }

    public Value lessOrEqual(Value a, Value b) {
        return op("LessOrEqual", a, b);
    }

    public Value equal(Value a, Value b) {
        return op("Equal", a, b);
    }

    public Value and(Value a, Value b) {
        return op("And", a, b);
    }

    public Value where(Value cond, Value a, Value b) {
        return op("Where", cond, a, b);
    }

    public Value reduceMax(Value x, boolean keepDims, long... axes) {
        return op("ReduceMax", attrs("keepdims", keepDims ? 1L : 0L), x, g.constInt64(axes));
    }

    // ---- convolution ----

    /** 2-D convolution with square kernel and stride (the ViT patch embedding). */
    public Value conv(Value x, Value w, Value b, long kernel, long stride) {
        return op("Conv", attrs("kernel_shape", new long[] {kernel, kernel}, "strides", new long[] {stride, stride}), x, w, b);
    }

    // ---- ONNX Runtime contrib ----

    /** A contrib op in {@code com.microsoft}; {@code null} inputs are left empty (optional inputs). */
    public Value contrib(String type, Map<String, Object> attributes, Value... in) {
        return g.addNode(type, MS_DOMAIN, Arrays.asList(in), attributes).getFirst();
    }
}
