package dev.blip2serve.synthetic;

import java.util.ArrayList;
import java.util.List;

/**
 * The tensors of a {@code Blip2ForConditionalGeneration} (OPT) checkpoint as the Hugging Face hub stores
 * {@code Salesforce/blip2-opt-2.7b}: {@code state_dict} order, the older names the hub files carry (the
 * ViT's {@code self_attn.q_bias} / {@code v_bias}, not a fused {@code qkv.bias}), the Q-Former's text
 * feed-forward ({@code intermediate}, {@code output}) next to the query one, and
 * {@code language_model.lm_head.weight} stored although it is tied to {@code embed_tokens}.
 */
public final class HubLayout {

    private HubLayout() {
    }

    /** Every tensor, in the order {@code state_dict()} lists them (the order shards are filled in). */
    public static List<TensorSpec> tensors(SyntheticShape s) {
        List<TensorSpec> out = new ArrayList<>();
        // Blip2ForConditionalGeneration registers query_tokens, vision_model, qformer, language_projection,
        // language_model; a module's own parameters come before its children's.
        out.add(w("query_tokens", 1, s.queryTokens(), s.qformerHidden()));
        vision(s, out);
        qformer(s, out);
        linear(out, "language_projection", s.textHidden(), s.qformerHidden());
        opt(s, out);
        return out;
    }

    private static void vision(SyntheticShape s, List<TensorSpec> out) {
        String p = "vision_model.";
        int d = s.visionHidden();
        out.add(w(p + "embeddings.class_embedding", 1, 1, d));
        out.add(w(p + "embeddings.position_embedding", 1, s.visionTokens(), d));
        out.add(w(p + "embeddings.patch_embedding.weight", d, 3, s.patchSize(), s.patchSize()));
        out.add(w(p + "embeddings.patch_embedding.bias", d));
        for (int i = 0; i < s.visionLayers(); i++) {
            String l = p + "encoder.layers." + i + ".";
            out.add(w(l + "self_attn.q_bias", d));
            out.add(w(l + "self_attn.v_bias", d));
            out.add(w(l + "self_attn.qkv.weight", 3L * d, d));
            linear(out, l + "self_attn.projection", d, d);
            layerNorm(out, l + "layer_norm1", d);
            linear(out, l + "mlp.fc1", s.visionIntermediate(), d);
            linear(out, l + "mlp.fc2", d, s.visionIntermediate());
            layerNorm(out, l + "layer_norm2", d);
        }
        layerNorm(out, p + "post_layernorm", d);
    }

    private static void qformer(SyntheticShape s, List<TensorSpec> out) {
        int d = s.qformerHidden();
        int ff = s.qformerIntermediate();
        layerNorm(out, "qformer.layernorm", d);
        for (int i = 0; i < s.qformerLayers(); i++) {
            String l = "qformer.encoder.layer." + i + ".";
            attention(out, l + "attention.", d, d);
            if (s.hasCrossAttention(i)) {
                attention(out, l + "crossattention.", d, s.visionHidden());
            }
            linear(out, l + "intermediate.dense", ff, d);
            linear(out, l + "output.dense", d, ff);
            layerNorm(out, l + "output.LayerNorm", d);
            linear(out, l + "intermediate_query.dense", ff, d);
            linear(out, l + "output_query.dense", d, ff);
            layerNorm(out, l + "output_query.LayerNorm", d);
        }
    }

    private static void attention(List<TensorSpec> out, String p, int d, int kvIn) {
        linear(out, p + "attention.query", d, d);
        linear(out, p + "attention.key", d, kvIn);
        linear(out, p + "attention.value", d, kvIn);
        linear(out, p + "output.dense", d, d);
        layerNorm(out, p + "output.LayerNorm", d);
    }

    private static void opt(SyntheticShape s, List<TensorSpec> out) {
        String p = "language_model.model.decoder.";
        int d = s.textHidden();
        String embed = p + "embed_tokens.weight";
        out.add(w(embed, s.vocabSize(), d));
        out.add(w(p + "embed_positions.weight", s.maxPositions() + 2L, d));
        layerNorm(out, p + "final_layer_norm", d);
        for (int i = 0; i < s.textLayers(); i++) {
            String l = p + "layers." + i + ".";
            linear(out, l + "self_attn.k_proj", d, d);
            linear(out, l + "self_attn.v_proj", d, d);
            linear(out, l + "self_attn.q_proj", d, d);
            linear(out, l + "self_attn.out_proj", d, d);
            layerNorm(out, l + "self_attn_layer_norm", d);
            linear(out, l + "fc1", s.textFfn(), d);
            linear(out, l + "fc2", d, s.textFfn());
            layerNorm(out, l + "final_layer_norm", d);
        }
        out.add(w("language_model.lm_head.weight", s.vocabSize(), d).tiedTo(embed));
    }

    private static TensorSpec w(String name, long... shape) {
        return new TensorSpec(name, shape);
    }

    private static void linear(List<TensorSpec> out, String name, long outDim, long inDim) {
        out.add(w(name + ".weight", outDim, inDim));
        out.add(w(name + ".bias", outDim));
    }

    private static void layerNorm(List<TensorSpec> out, String name, long d) {
        out.add(w(name + ".weight", d));
        out.add(w(name + ".bias", d));
    }
}
