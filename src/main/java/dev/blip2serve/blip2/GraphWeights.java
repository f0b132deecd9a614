package dev.blip2serve.blip2;

import dev.blip2serve.onnx.ElementType;
import dev.blip2serve.onnx.GraphBuilder;
import dev.blip2serve.onnx.Ops;
import dev.blip2serve.onnx.TensorData;
import dev.blip2serve.onnx.Tensors;
import dev.blip2serve.onnx.Value;
import java.util.HashMap;
import java.util.Map;

/**
 * Turns logical weights into graph initializers: stored at the variant's {@link WeightPrecision}, cast to the
 * type the activations have where the weight is read ({@link #activationType(String)}) when that differs, loaded
 * lazily so the model writer streams them. Also the default {@link LinearEmitter}: MatMul against the
 * transposed weight, then the bias.
 */
public final class GraphWeights implements LinearEmitter {

    private final WeightSource source;
    private final WeightPrecision precision;
    private final ComputePrecision compute;
    private final Map<String, Value> loaded = new HashMap<>();

    /** Weights stored at {@code precision}, computing in float32. */
    public GraphWeights(WeightSource source, WeightPrecision precision) {
        this(source, precision, ComputePrecision.FP32);
    }

    /**
     * @throws IllegalArgumentException for fp16 compute over fp32 storage (HF's fp16 model holds fp16 weights)
     */
    public GraphWeights(WeightSource source, WeightPrecision precision, ComputePrecision compute) {
        if (compute == ComputePrecision.FP16 && precision != WeightPrecision.FP16) {
            throw new IllegalArgumentException("fp16 compute needs fp16 weights");
        }
        this.source = source;
        this.precision = precision;
        this.compute = compute;
    }

    /**
     * The element type of the activations in the part of the model that reads the logical tensor or prefix
     * {@code name}: the compute precision, except that the Q-Former ({@code qformer.*}) always computes in float32
     * with float32 weights, as transformers keeps it.
     */
    public ElementType activationType(String name) {
        return keptInFloat32(name) ? ElementType.FLOAT : compute.activations();
    }

    private static boolean keptInFloat32(String name) {
        return name.startsWith("qformer.");
    }

    private ElementType storage(String name) {
        return compute == ComputePrecision.FP16 && keptInFloat32(name) ? ElementType.FLOAT : precision.storage();
    }

    public WeightSource source() {
        return source;
    }

    public WeightPrecision precision() {
        return precision;
    }

    public ComputePrecision compute() {
        return compute;
    }

    /** A parameter as a value of its {@link #activationType} in the graph (once per graph, however often asked for). */
    public Value param(Ops ops, String name) {
        return loaded.computeIfAbsent(name, n -> {
            long[] shape = source.shape(n);
            return stored(ops, n, Tensors.floats(storage(n), shape, () -> source.load(n)), activationType(n));
        });
    }

    /**
     * Small parameters (LayerNorm, biases) stay float32 in float32 graphs: they cost nothing and steer accuracy.
     * In float16 graphs they are float16, the type the operators reading them need (LayerNorm still gathers its
     * statistics in float32).
     */
    public Value smallParam(Ops ops, String name) {
        return loaded.computeIfAbsent(name, n ->
                ops.graph().initializer(n, Tensors.floats(activationType(n), source.shape(n), () -> source.load(n))));
    }

    /** A [out, in] weight stored transposed as [in, out], the right-hand side of a MatMul. */
    public Value transposedWeight(Ops ops, String name) {
        String key = name + "#T";
        Value v = loaded.get(key);
        if (v == null) {
            long[] shape = source.shape(name);
            if (shape.length != 2) {
                throw new IllegalArgumentException(name + " is not a matrix: " + java.util.Arrays.toString(shape));
            }
            int out = Math.toIntExact(shape[0]);
            int in = Math.toIntExact(shape[1]);
            TensorData data = Tensors.floats(storage(name), new long[] {in, out},
                    () -> transpose(source.load(name), out, in));
            v = stored(ops, name + "_t", data, activationType(name));
            loaded.put(key, v);
        }
        return v;
    }

    private Value stored(Ops ops, String name, TensorData data, ElementType type) {
        GraphBuilder g = ops.graph();
        Value init = g.initializer(name, data);
        if (data.type() == type) {
            return init;
        }
        try (var s = g.scope(name)) {
            return ops.cast(init, type);
        }
    }

    @Override
    public Value linear(Ops ops, Value x, String name) {
        Value y = ops.matMul(x, transposedWeight(ops, name + ".weight"));
        if (source.has(name + ".bias")) {
            y = ops.add(y, smallParam(ops, name + ".bias"));
        }
        return y;
    }

    /** [rows, cols] row-major to [cols, rows]. */
    public static float[] transpose(float[] w, int rows, int cols) {
        float[] t = new float[w.length];
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = w[base + c];
            }
        }
        return t;
    }
}
