package dev.blip2serve.checkpoint;

import java.nio.file.Path;

/**
 * The architecture of a BLIP-2 checkpoint with an OPT language model, read from {@code config.json}.
 * Defaults are Hugging Face's for fields a config leaves out.
 *
 * @param numQueryTokens  Q, the learned query tokens of the Q-Former
 * @param imageTokenIndex the {@code <image>} token id of newer checkpoints, or -1
 */
public record Blip2Config(VisionConfig vision, QFormerConfig qformer, OptConfig text,
                          int numQueryTokens, int imageTokenIndex) {

    /** EVA ViT image encoder. */
    public record VisionConfig(int hiddenSize, int intermediateSize, int layers, int heads,
                               int imageSize, int patchSize, double layerNormEps, String hiddenAct) {
        /** Patches plus the class token. */
        public int tokens() {
            int side = imageSize / patchSize;
            return side * side + 1;
        }

        public int headDim() {
            return hiddenSize / heads;
        }
    }

    /** BERT-style Q-Former. */
    public record QFormerConfig(int hiddenSize, int intermediateSize, int layers, int heads,
                                double layerNormEps, int crossAttentionFrequency, int encoderHiddenSize, String hiddenAct) {
        public boolean hasCrossAttention(int layer) {
            return layer % crossAttentionFrequency == 0;
        }

        public int headDim() {
            return hiddenSize / heads;
        }
    }

    /** OPT decoder. */
    public record OptConfig(int vocabSize, int hiddenSize, int ffnDim, int layers, int heads, int maxPositions,
                            int wordEmbedProjDim, boolean layerNormBefore, boolean removeFinalLayerNorm,
                            boolean enableBias, boolean layerNormAffine, String activation,
                            int bosTokenId, int eosTokenId, int padTokenId, boolean tieWordEmbeddings) {
        public int headDim() {
            return hiddenSize / heads;
        }

        /** OPT's learned positions start at index 2 of {@code embed_positions}. */
        public static final int POSITION_OFFSET = 2;
    }

    /** Reads {@code dir/config.json}. Refuses anything but BLIP-2 over OPT with a one-line reason. */
    public static Blip2Config read(Path dir) {
        ConfigJson c = ConfigJson.read(dir.resolve("config.json"));
        String type = c.string("model_type", "");
        if (!type.equals("blip-2") && !type.equals("blip_2")) {
            throw c.error("model_type '" + type + "' is not supported (expected blip-2)");
        }
        ConfigJson t = c.object("text_config");
        String lm = t.string("model_type", "opt");
        if (!lm.equals("opt")) {
            throw c.error("language model '" + lm + "' is not supported (BLIP-2 with OPT only)");
        }
        ConfigJson v = c.object("vision_config");
        VisionConfig vision = new VisionConfig(
                v.positive("hidden_size", 1408), v.positive("intermediate_size", 6144), v.positive("num_hidden_layers", 39),
                v.positive("num_attention_heads", 16), v.positive("image_size", 224), v.positive("patch_size", 14),
                v.number("layer_norm_eps", 1e-6), v.string("hidden_act", "gelu"));
        ConfigJson q = c.object("qformer_config");
        QFormerConfig qformer = new QFormerConfig(
                q.positive("hidden_size", 768), q.positive("intermediate_size", 3072), q.positive("num_hidden_layers", 12),
                q.positive("num_attention_heads", 12), q.number("layer_norm_eps", 1e-12),
                q.positive("cross_attention_frequency", 2), q.positive("encoder_hidden_size", vision.hiddenSize()),
                q.string("hidden_act", "gelu"));
        int hidden = t.positive("hidden_size", 768);
        OptConfig text = new OptConfig(
                t.positive("vocab_size", 50272), hidden, t.positive("ffn_dim", 3072), t.positive("num_hidden_layers", 12),
                t.positive("num_attention_heads", 12), t.positive("max_position_embeddings", 2048),
                t.positive("word_embed_proj_dim", hidden), t.bool("do_layer_norm_before", true),
                t.bool("_remove_final_layer_norm", false), t.bool("enable_bias", true),
                t.bool("layer_norm_elementwise_affine", true), t.string("activation_function", "relu"),
                t.integer("bos_token_id", 2), t.integer("eos_token_id", 2), t.integer("pad_token_id", 1),
                t.bool("tie_word_embeddings", c.bool("tie_word_embeddings", true)));
        Blip2Config cfg = new Blip2Config(vision, qformer, text, c.positive("num_query_tokens", 32),
                c.integer("image_token_index", -1));
        cfg.validate(c);
        return cfg;
    }

    private void validate(ConfigJson c) {
        check(c, vision.hiddenSize % vision.heads == 0, "vision hidden_size is not divisible by num_attention_heads");
        check(c, vision.imageSize % vision.patchSize == 0, "vision image_size is not a multiple of patch_size");
        check(c, qformer.hiddenSize % qformer.heads == 0, "qformer hidden_size is not divisible by num_attention_heads");
        check(c, qformer.encoderHiddenSize == vision.hiddenSize, "qformer encoder_hidden_size differs from the vision hidden_size");
        check(c, text.hiddenSize % text.heads == 0, "text hidden_size is not divisible by num_attention_heads");
        check(c, text.wordEmbedProjDim == text.hiddenSize,
                "OPT with word_embed_proj_dim != hidden_size (project_in/out) is not supported");
        check(c, text.layerNormAffine, "OPT without elementwise-affine LayerNorm is not supported");
        check(c, vision.hiddenAct.equals("gelu") && qformer.hiddenAct.equals("gelu"),
                "only the exact (erf) gelu is supported in the vision model and Q-Former");
        check(c, text.activation.equals("relu") || text.activation.equals("gelu"),
                "OPT activation '" + text.activation + "' is not supported (relu or gelu)");
    }

    private static void check(ConfigJson c, boolean ok, String problem) {
        if (!ok) {
            throw c.error(problem);
        }
    }
}
