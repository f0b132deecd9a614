package dev.blip2serve.quantize;

import dev.blip2serve.blip2.WeightSource;
import dev.blip2serve.checkpoint.Blip2Config;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every linear layer of a BLIP-2 OPT model by logical name, grouped by shared input, with the place where
 * a smoothing scale of each group folds (mirrors {@code VisionGraph} and {@code OptDecoderGraph}).
 *
 * <p>Folds: ViT {@code layer_norm1 -> qkv}, {@code layer_norm2 -> fc1}, qkv's value rows {@code -> projection};
 * Q-Former value rows {@code -> dense} (self and cross attention); OPT (pre-LN) {@code self_attn_layer_norm ->
 * q/k/v}, {@code final_layer_norm -> fc1}, {@code v_proj -> out_proj}, {@code fc1 -> fc2} through ReLU. Explicit
 * Mul: ViT fc2 (after GELU), every Q-Former input read from the post-LN residual stream, cross-attention key
 * and value (the image embedding feeds every cross-attention layer and the residual), Q-Former fc2 (GELU), the
 * language projection, and OPT when post-LN or non-ReLU.
 *
 * <p>Self-attention q/k/v groups (ViT, Q-Former self-attention, OPT) also know their attention
 * ({@link #attentionOf(InputGroup)}), so a search can measure their error at the attention's output.
 */
public final class LinearTopology {

    private final List<InputGroup> groups;
    private final Map<String, InputGroup> byLinear;
    private final Map<String, long[]> shapes;
    private final Map<String, SelfAttention> attention;

    private LinearTopology(List<InputGroup> groups, Map<String, long[]> shapes, Map<String, SelfAttention> attention) {
        this.groups = List.copyOf(groups);
        this.shapes = shapes;
        this.attention = Map.copyOf(attention);
        Map<String, InputGroup> m = new LinkedHashMap<>();
        for (InputGroup g : groups) {
            for (String l : g.linears()) {
                m.put(l, g);
            }
        }
        this.byLinear = Collections.unmodifiableMap(m);
    }

    /** The topology of a BLIP-2 OPT model; shapes are read from {@code source} (no weight is loaded). */
    public static LinearTopology of(Blip2Config config, WeightSource source) {
        Builder b = new Builder(source);
        Blip2Config.VisionConfig vc = config.vision();
        for (int i = 0; i < vc.layers(); i++) {
            String p = "vision.layers." + i;
            b.group(p + ".attn.qkv", lnFold(source, p + ".layer_norm1"), p + ".attn.qkv");
            b.attention(p + ".attn.qkv", SelfAttention.fused(p + ".attn.projection", vc.heads(), vc.hiddenSize()));
            b.group(p + ".attn.projection", new InputGroup.IntoPrecedingLinear(p + ".attn.qkv", 2 * vc.hiddenSize()),
                    p + ".attn.projection");
            b.group(p + ".mlp.fc1", lnFold(source, p + ".layer_norm2"), p + ".mlp.fc1");
            b.group(p + ".mlp.fc2", new InputGroup.ExplicitMul(), p + ".mlp.fc2");
        }
        Blip2Config.QFormerConfig qc = config.qformer();
        for (int i = 0; i < qc.layers(); i++) {
            String p = "qformer.layers." + i;
            b.group(p + ".self_attn.qkv", new InputGroup.ExplicitMul(),
                    p + ".self_attn.query", p + ".self_attn.key", p + ".self_attn.value");
            b.attention(p + ".self_attn.qkv", SelfAttention.separate(p + ".self_attn.dense", qc.heads(), false));
            b.group(p + ".self_attn.dense", new InputGroup.IntoPrecedingLinear(p + ".self_attn.value", 0),
                    p + ".self_attn.dense");
            if (qc.hasCrossAttention(i)) {
                b.group(p + ".cross_attn.query", new InputGroup.ExplicitMul(), p + ".cross_attn.query");
                b.group(p + ".cross_attn.kv", new InputGroup.ExplicitMul(), p + ".cross_attn.key", p + ".cross_attn.value");
                b.group(p + ".cross_attn.dense", new InputGroup.IntoPrecedingLinear(p + ".cross_attn.value", 0),
                        p + ".cross_attn.dense");
            }
            b.group(p + ".ffn.fc1", new InputGroup.ExplicitMul(), p + ".ffn.fc1");
            b.group(p + ".ffn.fc2", new InputGroup.ExplicitMul(), p + ".ffn.fc2");
        }
        b.group("projection", new InputGroup.ExplicitMul(), "projection");
        Blip2Config.OptConfig t = config.text();
        boolean preLn = t.layerNormBefore();
        for (int i = 0; i < t.layers(); i++) {
            String p = "lm.layers." + i;
            b.group(p + ".attn.qkv", preLn ? lnFold(source, p + ".self_attn_layer_norm") : new InputGroup.ExplicitMul(),
                    p + ".attn.q_proj", p + ".attn.k_proj", p + ".attn.v_proj");
            b.attention(p + ".attn.qkv", SelfAttention.separate(p + ".attn.out_proj", t.heads(), true));
            b.group(p + ".attn.out_proj", new InputGroup.IntoPrecedingLinear(p + ".attn.v_proj", 0), p + ".attn.out_proj");
            b.group(p + ".fc1", preLn ? lnFold(source, p + ".final_layer_norm") : new InputGroup.ExplicitMul(), p + ".fc1");
            b.group(p + ".fc2", t.activation().equals("relu")
                    ? new InputGroup.IntoPrecedingLinear(p + ".fc1", 0) : new InputGroup.ExplicitMul(), p + ".fc2");
        }
        return new LinearTopology(b.groups, b.shapes, b.attention);
    }

    private static InputGroup.Fold lnFold(WeightSource source, String ln) {
        return source.has(ln + ".weight") ? new InputGroup.IntoLayerNorm(ln) : new InputGroup.ExplicitMul();
    }

    /** Every group, in graph order (vision, Q-Former, projection, language model). */
    public List<InputGroup> groups() {
        return groups;
    }

    /** The groups whose linears {@code scope} quantizes. */
    public List<InputGroup> groups(Scope scope) {
        return groups.stream().filter(g -> scope.includes(g.linears().getFirst())).toList();
    }

    /** The self-attention whose q/k/v projections make up {@code group}, or null when the group is no such thing. */
    public SelfAttention attentionOf(InputGroup group) {
        return attention.get(group.id());
    }

    /** Whether {@code linear} is one of the q/k/v projections of a self-attention. */
    public boolean feedsSelfAttention(String linear) {
        InputGroup g = byLinear.get(linear);
        return g != null && attention.containsKey(g.id());
    }

    /** Every linear name, in graph order. */
    public List<String> linears() {
        return List.copyOf(byLinear.keySet());
    }

    /** The group reading the same input as {@code linear}; null for a name that is no linear of the model. */
    public InputGroup groupOf(String linear) {
        return byLinear.get(linear);
    }

    /** {@code [N out, K in]} of a linear's weight. */
    public long[] weightShape(String linear) {
        long[] s = shapes.get(linear);
        if (s == null) {
            throw new IllegalArgumentException("not a linear of this model: " + linear);
        }
        return s.clone();
    }

    /** N of a linear. */
    public int outFeatures(String linear) {
        return Math.toIntExact(weightShape(linear)[0]);
    }

    /** K of a linear. */
    public int inFeatures(String linear) {
        return Math.toIntExact(weightShape(linear)[1]);
    }

    private static final class Builder {
        private final WeightSource source;
        private final List<InputGroup> groups = new ArrayList<>();
        private final Map<String, long[]> shapes = new LinkedHashMap<>();
        private final Map<String, SelfAttention> attention = new LinkedHashMap<>();

        Builder(WeightSource source) {
            this.source = source;
        }

        void group(String id, InputGroup.Fold fold, String... linears) {
            int k = -1;
            for (String l : linears) {
                long[] s = source.shape(l + ".weight");
                if (s.length != 2) {
                    throw new IllegalArgumentException(l + ".weight is not a matrix");
                }
                if (k >= 0 && s[1] != k) {
                    throw new IllegalArgumentException("linears of " + id + " read inputs of different widths");
                }
                k = Math.toIntExact(s[1]);
                shapes.put(l, s);
            }
            groups.add(new InputGroup(id, List.of(linears), k, fold));
        }

        void attention(String groupId, SelfAttention a) {
            attention.put(groupId, a);
        }
    }
}
