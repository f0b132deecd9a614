package dev.blip2serve.quantize.emit;

import dev.blip2serve.blip2.GraphWeights;
import dev.blip2serve.onnx.ElementType;
import dev.blip2serve.onnx.GraphBuilder;
import dev.blip2serve.onnx.Ops;
import dev.blip2serve.onnx.Tensors;
import dev.blip2serve.onnx.Value;
import java.util.HashMap;
import java.util.Map;

/** What a {@link LinearScheme} needs while emitting into one graph: the op table, the weights, shared constants. */
public final class EmitContext {

    private final Ops ops;
    private final GraphWeights weights;
    private final Map<String, Value> constants = new HashMap<>();

    public EmitContext(Ops ops, GraphWeights weights) {
        this.ops = ops;
        this.weights = weights;
    }

    public Ops ops() {
        return ops;
    }

    public GraphBuilder graph() {
        return ops.graph();
    }

    public GraphWeights weights() {
        return weights;
    }

    /** A uint8 scalar constant, shared within the graph. */
    public Value constUint8(int value) {
        return constants.computeIfAbsent("u8:" + value, k -> graph().initializer("/const/u8_" + value,
                Tensors.raw(ElementType.UINT8, new long[0], () -> new byte[] {(byte) value})));
    }

    /** {@code y + bias} when the linear has a bias (kept float32), else {@code y}. */
    public Value addBias(Value y, String linear) {
        String b = linear + ".bias";
        return weights.source().has(b) ? ops.add(y, weights.smallParam(ops, b)) : y;
    }

    /** The (transformed) weight {@code [N, K]} of a linear, loaded now. */
    public float[] loadWeight(String linear) {
        return weights.source().load(linear + ".weight");
    }

    /** {@code [N, K]} of a linear's weight. */
    public int[] weightShape(String linear) {
        long[] s = weights.source().shape(linear + ".weight");
        return new int[] {Math.toIntExact(s[0]), Math.toIntExact(s[1])};
    }
}
