package dev.blip2serve.onnx;

import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects the nodes, initializers, inputs and outputs of one ONNX graph.
 *
 * <p>Names are path-like: {@link #scope(String)} pushes a segment, and every node gets
 * {@code /seg1/seg2/OpType} (with a numeric suffix when the same op occurs twice in a scope), its output
 * {@code <node>_output_0}. Initializers keep the names given to them. The typed op table lives in {@link Ops}.
 */
public final class GraphBuilder {

    /** An input or output declaration. */
    public record Port(String name, ElementType type, List<Dim> dims) {
    }

    private final String name;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, TensorData> initializers = new LinkedHashMap<>();
    private final List<Port> inputs = new ArrayList<>();
    private final List<Port> outputs = new ArrayList<>();
    private final Deque<String> scopes = new ArrayDeque<>();
    private final Map<String, Integer> usedNodeNames = new HashMap<>();
    private final Map<String, Value> constants = new HashMap<>();

    public GraphBuilder(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** A scope segment for node names; close it (try-with-resources) to pop. */
    public Scope scope(String segment) {
        scopes.addLast(segment);
        return () -> scopes.removeLast();
    }

    /** Pops the scope it belongs to. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** The current scope as a path: {@code /lm/layers.3/attn}. */
    public String path() {
        return scopes.isEmpty() ? "" : "/" + String.join("/", scopes);
    }

    /** Declares a graph input. */
    public Value input(String inputName, ElementType type, Dim... dims) {
        inputs.add(new Port(inputName, type, List.of(dims)));
        return new Value(inputName);
    }

    /** Declares {@code v} a graph output under {@code outputName} (an Identity node renames it when needed). */
    public void output(Value v, String outputName, ElementType type, Dim... dims) {
        Value out = v;
        if (!v.name().equals(outputName)) {
            addNode("Identity", "", List.of(v), Map.of(), outputName);
            out = new Value(outputName);
        }
        outputs.add(new Port(out.name(), type, List.of(dims)));
    }

    /** Adds an initializer under an explicit name (weights: the name says where the weight lives). */
    public Value initializer(String tensorName, TensorData data) {
        if (initializers.putIfAbsent(tensorName, data) != null) {
            throw new IllegalArgumentException("duplicate initializer " + tensorName);
        }
        return new Value(tensorName);
    }

    /** A small constant, shared by all nodes that ask for the same int64 values. */
    public Value constInt64(long... values) {
        String key = "i64:" + java.util.Arrays.toString(values);
        return constants.computeIfAbsent(key, k ->
                initializer("/const/i64_" + constants.size(), Tensors.int64s(values)));
    }

    /** A 0-dimensional int64 constant (a scalar index for Gather), shared. */
    public Value constInt64Scalar(long value) {
        return constants.computeIfAbsent("i64s:" + value, k ->
                initializer("/const/i64_" + constants.size(), Tensors.int64(new long[0], value)));
    }

    /** A FLOAT or FLOAT16 scalar constant, shared. */
    public Value constant(ElementType type, float value) {
        if (type == ElementType.FLOAT) {
            return constFloat(value);
        }
        String key = type + ":" + Float.floatToRawIntBits(value);
        return constants.computeIfAbsent(key, k -> initializer("/const/" + type.name().toLowerCase(java.util.Locale.ROOT)
                + "_" + constants.size(), Tensors.floats(type, new long[0], () -> new float[] {value})));
    }

    /** A float32 scalar constant, shared. */
    public Value constFloat(float value) {
        String key = "f32:" + Float.floatToRawIntBits(value);
        return constants.computeIfAbsent(key, k ->
                initializer("/const/f32_" + constants.size(), Tensors.scalar(value)));
    }

    /**
     * Adds a node named after the current scope and {@code opType}; returns its outputs.
     *
     * @param outputNames explicit output names, or none for one generated output
     */
    public List<Value> addNode(String opType, String domain, List<Value> in, Map<String, Object> attributes,
                               String... outputNames) {
        String base = path() + "/" + opType;
        int seen = usedNodeNames.merge(base, 1, Integer::sum);
        String nodeName = seen == 1 ? base : base + "_" + (seen - 1);
        List<String> outs = new ArrayList<>();
        if (outputNames.length == 0) {
            outs.add(nodeName + "_output_0");
        } else {
            outs.addAll(List.of(outputNames));
        }
        List<String> ins = new ArrayList<>();
        for (Value v : in) {
            ins.add(v == null ? "" : v.name());
        }
        nodes.add(new Node(nodeName, opType, domain, List.copyOf(ins), List.copyOf(outs), attributes));
        List<Value> values = new ArrayList<>();
        outs.forEach(o -> values.add(new Value(o)));
        return values;
    }

    /** Generated output names for a multi-output node: {@code count} names under the node's path. */
    public String[] outputNames(String opType, int count) {
        String[] names = new String[count];
        String base = path() + "/" + opType + "_" + nodes.size();
        for (int i = 0; i < count; i++) {
            names[i] = base + "_output_" + i;
        }
        return names;
    }

    public List<Node> nodes() {
        return Collections.unmodifiableList(nodes);
    }

    public Map<String, TensorData> initializers() {
        return Collections.unmodifiableMap(initializers);
    }

    public List<Port> inputs() {
        return Collections.unmodifiableList(inputs);
    }

    public List<Port> outputs() {
        return Collections.unmodifiableList(outputs);
    }
}
