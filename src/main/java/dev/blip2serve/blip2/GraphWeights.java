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
 * Turns logical weights into graph initializers: stored at the variant's {@link WeightPrecision}, cast
 * to float32 where stored narrower, loaded lazily so the model writer streams them. Also the default
 * {@link LinearEmitter}: MatMul against the transposed weight, then the bias.
 */
public final class GraphWeights implements LinearEmitter {

    private final WeightSource source;
    private final WeightPrecision precision;
    private final Map<String, Value> loaded = new HashMap<>();

    public GraphWeights(WeightSource source, WeightPrecision precision) {
        this.source = source;
        this.precision = precision;
    }

    public WeightSource source() {
        return source;
    }

    public WeightPrecision precision() {
        return precision;
    }

    /** A parameter as a float32 value in the graph (once per graph, however often asked for). */
    public Value param(Ops ops, String name) {
        return loaded.computeIfAbsent(name, n -> {
            long[] shape = source.shape(n);
            return stored(ops, n, Tensors.floats(precision.storage(), shape, () -> source.load(n)));
        });
    }

    /** Small parameters (LayerNorm, biases) always stay float32: they cost nothing and steer accuracy. */
    public Value smallParam(Ops ops, String name) {
        return loaded.computeIfAbsent(name, n ->
                ops.graph().initializer(n, Tensors.floats(ElementType.FLOAT, source.shape(n), () -> source.load(n))));
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
            TensorData data = Tensors.floats(precision.storage(), new long[] {in, out},
                    () -> transpose(source.load(name), out, in));
            v = stored(ops, name + "_t", data);
            loaded.put(key, v);
        }
        return v;
    }

    private Value stored(Ops ops, String name, TensorData data) {
        GraphBuilder g = ops.graph();
        Value init = g.initializer(name, data);
        if (data.type() == ElementType.FLOAT) {
            return init;
        }
        try (var s = g.scope(name)) {
            return ops.cast(init, ElementType.FLOAT);
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
