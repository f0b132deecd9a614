package dev.blip2serve.quantize.emit;

import dev.blip2serve.blip2.GraphWeights;
import dev.blip2serve.blip2.LinearEmitter;
import dev.blip2serve.onnx.ElementType;
import dev.blip2serve.onnx.Ops;
import dev.blip2serve.onnx.Tensors;
import dev.blip2serve.onnx.Value;
import dev.blip2serve.quantize.InputGroup;
import dev.blip2serve.quantize.LinearTopology;
import dev.blip2serve.quantize.Scope;
import dev.blip2serve.quantize.transform.ScaledWeights;
import java.util.HashMap;
import java.util.Map;

/**
 * The {@link LinearEmitter} of a quantized variant: linears in scope go through the {@link LinearScheme}, behind
 * one explicit {@code Mul(x, 1/s)} per input group whose smoothing scale cannot be folded; the rest stay float, and
 * so does the LM head unless a scheme is given for it. One instance per graph.
 */
public final class QuantizedLinears implements LinearEmitter {

    private final GraphWeights weights;
    private final LinearTopology topology;
    private final Scope scope;
    private final LinearScheme scheme;
    private final LinearScheme lmHead;
    private final Map<String, Value> scaledInputs = new HashMap<>();
    private EmitContext context;

    /**
     * @param weights graph weights over a {@link ScaledWeights} source (or any source, for unsmoothed variants)
     */
    public QuantizedLinears(GraphWeights weights, LinearTopology topology, Scope scope, LinearScheme scheme) {
        this(weights, topology, scope, scheme, null);
    }

    /** @param lmHead how the LM head computes, or null to keep it float */
    public QuantizedLinears(GraphWeights weights, LinearTopology topology, Scope scope, LinearScheme scheme,
                            LinearScheme lmHead) {
        this.weights = weights;
        this.topology = topology;
        this.scope = scope;
        this.scheme = scheme;
        this.lmHead = lmHead;
    }

    /**
     * A quantized LM head reads {@code table} as the weight of a linear {@code lm.lm_head} (no bias); the float
     * embedding table stays for the token lookup, so a tied model stores the table twice (float and quantized).
     */
    @Override
    public Value lmHead(Ops ops, GraphWeights graphWeights, Value h, String table) {
        if (lmHead == null) {
            return LinearEmitter.super.lmHead(ops, graphWeights, h, table);
        }
        GraphWeights head = new GraphWeights(new LmHeadWeights(graphWeights.source(), table), graphWeights.precision(),
                graphWeights.compute());
        return lmHead.emit(new EmitContext(ops, head), h, LmHeadWeights.LINEAR);
    }

    @Override
    public Value linear(Ops ops, Value x, String name) {
        InputGroup group = topology.groupOf(name);
        if (group == null || !scope.includes(name)) {
            return weights.linear(ops, x, name);
        }
        if (context == null) {
            context = new EmitContext(ops, weights);
        }
        Value in = x;
        if (weights.source() instanceof ScaledWeights sw) {
            float[] inv = sw.explicitInverse(group);
            if (inv != null) {
                Value key = scaledInputs.get(group.id());
                if (key == null) {
                    Value scale = ops.graph().initializer(group.id() + ".smooth_inverse",
                            Tensors.floats(weights.activationType(name), new long[] {inv.length}, () -> inv));
                    key = ops.mul(x, scale);                                       // [B, S, K] / s
                    scaledInputs.put(group.id(), key);
                }
                in = key;
            }
        }
        return scheme.emit(context, in, name);
    }
}
