package dev.blip2serve.blip2.hf;

import dev.blip2serve.blip2.WeightSource;
import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.checkpoint.Checkpoint;
import dev.blip2serve.checkpoint.CheckpointException;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps the project's logical BLIP-2 weight names onto a Hugging Face {@code Blip2ForConditionalGeneration}
 * checkpoint with an OPT language model. The only class that knows HF tensor names.
 *
 * <p>Two HF details live here: the ViT's fused qkv bias is {@code qkv.bias} in transformers 5 checkpoints
 * but {@code cat(q_bias, 0, v_bias)} in older ones (the hub's Salesforce checkpoints); and the LM head is
 * tied to the token embedding unless {@code tie_word_embeddings} is false.
 */
public final class HfBlip2OptWeights implements WeightSource {

    private record Rule(Pattern logical, String hf) {
    }

    private static final String V = "vision_model.";
    private static final String Q = "qformer.encoder.layer.$1.";
    private static final String LM = "language_model.model.decoder.";

    private static final List<Rule> RULES = List.of(
            rule("vision\\.patch_embed\\.(weight|bias)", V + "embeddings.patch_embedding.$1"),
            rule("vision\\.class_embed", V + "embeddings.class_embedding"),
            rule("vision\\.pos_embed", V + "embeddings.position_embedding"),
            rule("vision\\.layers\\.(\\d+)\\.attn\\.qkv\\.(weight|bias)", V + "encoder.layers.$1.self_attn.qkv.$2"),
            rule("vision\\.layers\\.(\\d+)\\.attn\\.projection\\.(weight|bias)", V + "encoder.layers.$1.self_attn.projection.$2"),
            rule("vision\\.layers\\.(\\d+)\\.(layer_norm1|layer_norm2|mlp\\.fc1|mlp\\.fc2)\\.(weight|bias)", V + "encoder.layers.$1.$2.$3"),
            rule("vision\\.post_layernorm\\.(weight|bias)", V + "post_layernorm.$1"),
            rule("qformer\\.query_tokens", "query_tokens"),
            rule("qformer\\.layernorm\\.(weight|bias)", "qformer.layernorm.$1"),
            rule("qformer\\.layers\\.(\\d+)\\.self_attn\\.(query|key|value)\\.(weight|bias)", Q + "attention.attention.$2.$3"),
            rule("qformer\\.layers\\.(\\d+)\\.self_attn\\.dense\\.(weight|bias)", Q + "attention.output.dense.$2"),
            rule("qformer\\.layers\\.(\\d+)\\.self_attn\\.layer_norm\\.(weight|bias)", Q + "attention.output.LayerNorm.$2"),
            rule("qformer\\.layers\\.(\\d+)\\.cross_attn\\.(query|key|value)\\.(weight|bias)", Q + "crossattention.attention.$2.$3"),
            rule("qformer\\.layers\\.(\\d+)\\.cross_attn\\.dense\\.(weight|bias)", Q + "crossattention.output.dense.$2"),
            rule("qformer\\.layers\\.(\\d+)\\.cross_attn\\.layer_norm\\.(weight|bias)", Q + "crossattention.output.LayerNorm.$2"),
            rule("qformer\\.layers\\.(\\d+)\\.ffn\\.fc1\\.(weight|bias)", Q + "intermediate_query.dense.$2"),
            rule("qformer\\.layers\\.(\\d+)\\.ffn\\.fc2\\.(weight|bias)", Q + "output_query.dense.$2"),
            rule("qformer\\.layers\\.(\\d+)\\.ffn\\.layer_norm\\.(weight|bias)", Q + "output_query.LayerNorm.$2"),
            rule("projection\\.(weight|bias)", "language_projection.$1"),
            rule("lm\\.embed_tokens", LM + "embed_tokens.weight"),
            rule("lm\\.embed_positions", LM + "embed_positions.weight"),
            rule("lm\\.layers\\.(\\d+)\\.attn\\.(q_proj|k_proj|v_proj|out_proj)\\.(weight|bias)", LM + "layers.$1.self_attn.$2.$3"),
            rule("lm\\.layers\\.(\\d+)\\.(self_attn_layer_norm|final_layer_norm|fc1|fc2)\\.(weight|bias)", LM + "layers.$1.$2.$3"),
            rule("lm\\.final_layer_norm\\.(weight|bias)", LM + "final_layer_norm.$1"),
            rule("lm\\.lm_head\\.weight", "language_model.lm_head.weight"));

    private static final Pattern QKV_BIAS = Pattern.compile("vision\\.layers\\.(\\d+)\\.attn\\.qkv\\.bias");

    private final Checkpoint checkpoint;
    private final Blip2Config config;

    public HfBlip2OptWeights(Checkpoint checkpoint, Blip2Config config) {
        this.checkpoint = checkpoint;
        this.config = config;
    }

    private static Rule rule(String logical, String hf) {
        return new Rule(Pattern.compile(logical), hf);
    }

    /** The HF tensor name for a logical name, or null when no rule knows it. */
    static String hfName(String logical) {
        for (Rule r : RULES) {
            Matcher m = r.logical.matcher(logical);
            if (m.matches()) {
                return m.replaceFirst(r.hf);
            }
        }
        return null;
    }

    @Override
    public boolean has(String name) {
        if (name.equals("lm.lm_head.weight") && config.text().tieWordEmbeddings()) {
            return false;
        }
        Matcher qkv = QKV_BIAS.matcher(name);
        if (qkv.matches()) {
            return checkpoint.has(hfName(name)) || checkpoint.has(V + "encoder.layers." + qkv.group(1) + ".self_attn.q_bias");
        }
        String hf = hfName(name);
        return hf != null && checkpoint.has(hf);
    }

    @Override
    public long[] shape(String name) {
        Matcher qkv = QKV_BIAS.matcher(name);
        if (qkv.matches() && !checkpoint.has(hfName(name))) {
            return new long[] {3L * config.vision().hiddenSize()};
        }
        long[] shape = checkpoint.info(require(name)).shape();
        if (name.equals("vision.pos_embed")) {
            shape[1] = config.vision().tokens();
        }
        return shape;
    }

    @Override
    public float[] load(String name) {
        Matcher qkv = QKV_BIAS.matcher(name);
        if (qkv.matches() && !checkpoint.has(hfName(name))) {
            return concatQkvBias(qkv.group(1));
        }
        float[] data = checkpoint.floats(require(name));
        if (name.equals("vision.pos_embed")) {
            // HF adds position_embedding[:, :tokens]; a longer table is cut to the patch count.
            data = Arrays.copyOf(data, config.vision().tokens() * config.vision().hiddenSize());
        }
        return data;
    }

    /** Older checkpoints keep q_bias and v_bias; the fused qkv bias is cat(q_bias, zeros, v_bias). */
    private float[] concatQkvBias(String layer) {
        String prefix = V + "encoder.layers." + layer + ".self_attn.";
        int d = config.vision().hiddenSize();
        float[] q = checkpoint.floats(prefix + "q_bias");
        float[] v = checkpoint.floats(prefix + "v_bias");
        if (q.length != d || v.length != d) {
            throw new CheckpointException(checkpoint.dir(), prefix + "q_bias/v_bias must have " + d + " elements");
        }
        float[] out = new float[3 * d];
        System.arraycopy(q, 0, out, 0, d);
        System.arraycopy(v, 0, out, 2 * d, d);
        return out;
    }

    private String require(String name) {
        String hf = hfName(name);
        if (hf == null) {
            throw new IllegalArgumentException("no Hugging Face mapping for weight " + name);
        }
        if (!checkpoint.has(hf)) {
            throw new CheckpointException(checkpoint.dir(), "missing tensor '" + hf + "'");
        }
        return hf;
    }
}
