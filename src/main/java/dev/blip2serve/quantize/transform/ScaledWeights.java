package dev.blip2serve.quantize.transform;

import dev.blip2serve.blip2.WeightSource;
import dev.blip2serve.quantmath.AwqClipSearch;
import dev.blip2serve.quantmath.SmoothQuant;
import dev.blip2serve.quantize.InputGroup;
import dev.blip2serve.quantize.LinearTopology;
import java.util.HashMap;
import java.util.Map;

/**
 * A {@link WeightSource} that applies per-group scales (SmoothQuant, AWQ, group-aware search) and AWQ clipping
 * lazily, when a weight is loaded, so a multi-gigabyte model still streams one tensor at a time.
 *
 * <p>For a group with scale {@code s [K]}:
 * <ul>
 *   <li>each linear of the group: {@code W[:, j] *= s[j]};</li>
 *   <li>{@link InputGroup.IntoLayerNorm}: {@code gamma[j] /= s[j]}, {@code beta[j] /= s[j]};</li>
 *   <li>{@link InputGroup.IntoPrecedingLinear}: rows {@code offset + j} of the preceding weight and bias
 *       {@code /= s[j]};</li>
 *   <li>{@link InputGroup.ExplicitMul}: nothing here; the graph multiplies the input by
 *       {@link #explicitInverse(InputGroup)}.</li>
 * </ul>
 * Clipping ({@code W = clamp(W, -m, m)} per row and group of K) comes last, on the fully scaled weight.
 * Every other tensor passes through unchanged.
 */
public final class ScaledWeights implements WeightSource {

    private final WeightSource base;
    private final LinearTopology topology;
    private final Map<String, float[]> scales;
    private final Map<String, Clip> clips;
    private final Map<String, InputGroup> foldedLayerNorms = new HashMap<>();
    private final Map<String, InputGroup> foldedRows = new HashMap<>();

    /** Per-row-and-group clipping bounds of one linear, from {@code AwqClipSearch}. */
    public record Clip(int groupLength, float[] maxAbs) {
    }

    /**
     * @param scales group id -> {@code s [K]}; groups without an entry are unscaled
     * @param clips  linear name -> clipping bounds; linears without an entry are not clipped
     */
    public ScaledWeights(WeightSource base, LinearTopology topology, Map<String, float[]> scales, Map<String, Clip> clips) {
        this.base = base;
        this.topology = topology;
        this.scales = Map.copyOf(scales);
        this.clips = Map.copyOf(clips);
        for (InputGroup g : topology.groups()) {
            float[] s = this.scales.get(g.id());
            if (s == null) {
                continue;
            }
            if (s.length != g.k()) {
                throw new IllegalArgumentException("scales of " + g.id() + " have " + s.length + " entries, K is " + g.k());
            }
            switch (g.fold()) {
                case InputGroup.IntoLayerNorm ln -> foldedLayerNorms.put(ln.layerNorm(), g);
                case InputGroup.IntoPrecedingLinear p -> foldedRows.put(p.linear(), g);
                case InputGroup.ExplicitMul e -> { }
            }
        }
    }

    /** The unscaled weights. */
    public WeightSource base() {
        return base;
    }

    /** The scale of a group, or null when it has none. */
    public float[] scales(String groupId) {
        return scales.get(groupId);
    }

    /** {@code 1/s} for a group folded by an explicit Mul, or null when the group has no scale or folds exactly. */
    public float[] explicitInverse(InputGroup g) {
        float[] s = scales.get(g.id());
        if (s == null || !g.explicit()) {
            return null;
        }
        return SmoothQuant.reciprocal(s);
    }

    @Override
    public boolean has(String name) {
        return base.has(name);
    }

    @Override
    public long[] shape(String name) {
        return base.shape(name);
    }

    @Override
    public float[] load(String name) {
        float[] data = base.load(name);
        int dot = name.lastIndexOf('.');
        if (dot < 0) {
            return data;
        }
        String owner = name.substring(0, dot);
        String part = name.substring(dot + 1);
        InputGroup ln = foldedLayerNorms.get(owner);
        if (ln != null && (part.equals("weight") || part.equals("bias"))) {
            SmoothQuant.divideRows(data, 0, 1, scales.get(ln.id()));
            return data;
        }
        InputGroup own = topology.groupOf(owner);
        if (own == null) {
            return data;
        }
        InputGroup next = foldedRows.get(owner);
        int n = topology.outFeatures(owner);
        int k = topology.inFeatures(owner);
        if (part.equals("weight")) {
            float[] s = scales.get(own.id());
            if (s != null) {
                SmoothQuant.scaleWeightColumns(data, n, k, s);
            }
            if (next != null) {
                int offset = ((InputGroup.IntoPrecedingLinear) next.fold()).rowOffset();
                SmoothQuant.divideRows(data, offset, k, scales.get(next.id()));
            }
            Clip c = clips.get(owner);
            if (c != null) {
                AwqClipSearch.apply(data, n, k, c.groupLength(), c.maxAbs());
            }
        } else if (part.equals("bias") && next != null) {
            int offset = ((InputGroup.IntoPrecedingLinear) next.fold()).rowOffset();
            SmoothQuant.divideRows(data, offset, 1, scales.get(next.id()));
        }
        return data;
    }
}
