package dev.blip2serve.checkpoint;

import static dev.blip2serve.checkpoint.StFiles.rejects;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class Blip2ConfigTest {

    static final Path TINY = Path.of("src/test/resources/fixtures/tiny-blip2");
    static final Path SHAPES = Path.of("src/main/resources/models/shapes-blip2");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    /** The tiny fixture's config.json, changed by {@code edit}, written to the temp dir. */
    private Path tinyWith(Consumer<ObjectNode> edit) {
        ObjectNode root = (ObjectNode) JSON.readTree(TINY.resolve("config.json").toFile());
        edit.accept(root);
        return config(root.toString());
    }

    private Path config(String text) {
        try {
            Files.writeString(dir.resolve("config.json"), text);
            return dir.resolve("config.json");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private CheckpointException rejected(Path file, String phrase) {
        return rejects(file, phrase, () -> Blip2Config.read(dir));
    }

    private static ObjectNode sub(ObjectNode root, String key) {
        return (ObjectNode) root.get(key);
    }

    @Test
    void tinyBlip2() {
        Blip2Config c = Blip2Config.read(TINY);
        var v = c.vision();
        assertThat(v.hiddenSize()).isEqualTo(64);
        assertThat(v.intermediateSize()).isEqualTo(176);
        assertThat(v.layers()).isEqualTo(2);
        assertThat(v.heads()).isEqualTo(4);
        assertThat(v.headDim()).isEqualTo(16);
        assertThat(v.imageSize()).isEqualTo(32);
        assertThat(v.patchSize()).isEqualTo(8);
        assertThat(v.tokens()).isEqualTo(17);
        assertThat(v.layerNormEps()).isEqualTo(1e-6);
        assertThat(v.hiddenAct()).isEqualTo("gelu");

        var q = c.qformer();
        assertThat(q.hiddenSize()).isEqualTo(32);
        assertThat(q.intermediateSize()).isEqualTo(64);
        assertThat(q.layers()).isEqualTo(2);
        assertThat(q.heads()).isEqualTo(4);
        assertThat(q.headDim()).isEqualTo(8);
        assertThat(q.layerNormEps()).isEqualTo(1e-12);
        assertThat(q.crossAttentionFrequency()).isEqualTo(2);
        assertThat(q.hasCrossAttention(0)).isTrue();
        assertThat(q.hasCrossAttention(1)).isFalse();
        assertThat(q.encoderHiddenSize()).isEqualTo(64);

        var t = c.text();
        assertThat(t.vocabSize()).isEqualTo(301);
        assertThat(t.hiddenSize()).isEqualTo(64);
        assertThat(t.ffnDim()).isEqualTo(128);
        assertThat(t.layers()).isEqualTo(2);
        assertThat(t.heads()).isEqualTo(4);
        assertThat(t.headDim()).isEqualTo(16);
        assertThat(t.maxPositions()).isEqualTo(64);
        assertThat(t.wordEmbedProjDim()).isEqualTo(64);
        assertThat(t.layerNormBefore()).isTrue();
        assertThat(t.removeFinalLayerNorm()).isFalse();
        assertThat(t.enableBias()).isTrue();
        assertThat(t.layerNormAffine()).isTrue();
        assertThat(t.activation()).isEqualTo("relu");
        assertThat(t.bosTokenId()).isEqualTo(2);
        assertThat(t.eosTokenId()).isEqualTo(2);
        assertThat(t.padTokenId()).isEqualTo(1);
        assertThat(t.tieWordEmbeddings()).isTrue();

        assertThat(c.numQueryTokens()).isEqualTo(8);
        assertThat(c.imageTokenIndex()).isEqualTo(300);
    }

    @Test
    void shapesBlip2() {
        Blip2Config c = Blip2Config.read(SHAPES);
        assertThat(c.numQueryTokens()).isEqualTo(16);
        assertThat(c.imageTokenIndex()).isEqualTo(400);
        assertThat(c.vision().hiddenSize()).isEqualTo(256);
        assertThat(c.vision().layers()).isEqualTo(4);
        assertThat(c.vision().imageSize()).isEqualTo(64);
        assertThat(c.vision().tokens()).isEqualTo(65);
        assertThat(c.vision().intermediateSize()).isEqualTo(1024);
        assertThat(c.qformer().hiddenSize()).isEqualTo(256);
        assertThat(c.qformer().layers()).isEqualTo(4);
        assertThat(c.qformer().hasCrossAttention(2)).isTrue();
        assertThat(c.qformer().hasCrossAttention(3)).isFalse();
        assertThat(c.text().vocabSize()).isEqualTo(401);
        assertThat(c.text().hiddenSize()).isEqualTo(256);
        assertThat(c.text().ffnDim()).isEqualTo(1024);
        assertThat(c.text().layers()).isEqualTo(4);
        assertThat(c.text().maxPositions()).isEqualTo(96);
        assertThat(c.text().tieWordEmbeddings()).isTrue();
    }

    @Test
    void missingFieldsTakeHuggingFaceDefaults() {
        config("{\"model_type\":\"blip-2\"}");
        Blip2Config c = Blip2Config.read(dir);
        assertThat(c.vision().hiddenSize()).isEqualTo(1408);
        assertThat(c.vision().layers()).isEqualTo(39);
        assertThat(c.vision().tokens()).isEqualTo(257);
        assertThat(c.qformer().hiddenSize()).isEqualTo(768);
        assertThat(c.qformer().encoderHiddenSize()).isEqualTo(1408);
        assertThat(c.text().vocabSize()).isEqualTo(50272);
        assertThat(c.text().hiddenSize()).isEqualTo(768);
        assertThat(c.text().wordEmbedProjDim()).isEqualTo(768);
        assertThat(c.numQueryTokens()).isEqualTo(32);
        assertThat(c.imageTokenIndex()).isEqualTo(-1);
    }

    @Test
    void blip2UnderscoreSpellingIsAccepted() {
        tinyWith(r -> r.put("model_type", "blip_2"));
        assertThat(Blip2Config.read(dir).text().vocabSize()).isEqualTo(301);
    }

    @Test
    void t5LanguageModelIsNotSupported() {
        Path f = tinyWith(r -> sub(r, "text_config").put("model_type", "t5"));
        rejected(f, "language model 't5' is not supported");
    }

    @Test
    void nonBlipModelType() {
        Path f = tinyWith(r -> r.put("model_type", "llava"));
        rejected(f, "model_type 'llava' is not supported");
    }

    @Test
    void missingModelType() {
        Path f = tinyWith(r -> r.remove("model_type"));
        rejected(f, "model_type '' is not supported");
    }

    @Test
    void stringWhereAnIntegerBelongs() {
        Path f = tinyWith(r -> sub(r, "vision_config").put("hidden_size", "64"));
        CheckpointException e = rejected(f, "vision_config.hidden_size must be an integer");
        assertThat(e.getMessage()).contains("config.json");
    }

    @Test
    void fractionalOrHugeIntegers() {
        Path f = tinyWith(r -> sub(r, "text_config").put("vocab_size", 301.5));
        rejected(f, "text_config.vocab_size must be an integer");
        f = tinyWith(r -> sub(r, "text_config").put("vocab_size", 1L << 40));
        rejected(f, "text_config.vocab_size must be an integer");
    }

    @Test
    void wrongTypesForOtherKeys() {
        rejected(tinyWith(r -> sub(r, "text_config").put("tie_word_embeddings", "yes")),
                "text_config.tie_word_embeddings must be true or false");
        rejected(tinyWith(r -> sub(r, "vision_config").put("layer_norm_eps", "1e-6")),
                "vision_config.layer_norm_eps must be a number");
        rejected(tinyWith(r -> r.put("model_type", 2)), "model_type must be a string");
        rejected(tinyWith(r -> r.put("vision_config", "big")), "vision_config must be an object");
        rejected(tinyWith(r -> r.put("num_query_tokens", "8")), "num_query_tokens must be an integer");
    }

    @Test
    void nonPositiveSizes() {
        rejected(tinyWith(r -> r.put("num_query_tokens", 0)), "num_query_tokens must be positive, got 0");
        rejected(tinyWith(r -> sub(r, "qformer_config").put("num_attention_heads", -4)),
                "qformer_config.num_attention_heads must be positive, got -4");
    }

    @Test
    void inconsistentArchitectures() {
        rejected(tinyWith(r -> sub(r, "vision_config").put("num_attention_heads", 3)),
                "vision hidden_size is not divisible by num_attention_heads");
        rejected(tinyWith(r -> sub(r, "vision_config").put("patch_size", 7)),
                "vision image_size is not a multiple of patch_size");
        rejected(tinyWith(r -> sub(r, "qformer_config").put("encoder_hidden_size", 32)),
                "qformer encoder_hidden_size differs from the vision hidden_size");
        rejected(tinyWith(r -> sub(r, "text_config").put("word_embed_proj_dim", 32)), "project_in/out");
        rejected(tinyWith(r -> sub(r, "text_config").put("activation_function", "silu")),
                "OPT activation 'silu' is not supported");
        rejected(tinyWith(r -> sub(r, "vision_config").put("hidden_act", "quick_gelu")), "only the exact (erf) gelu");
    }

    @Test
    void missingConfigJson() {
        rejected(dir.resolve("config.json"), "file not found");
    }

    @Test
    void configNotJson() {
        rejected(config("{\"model_type\": \"blip-2\",,}"), "not valid JSON");
    }

    @Test
    void configIsNotAnObject() {
        rejected(config("[\"blip-2\"]"), "not a JSON object");
        rejected(config(""), "not a JSON object");
    }

    @Test
    void configOfGigabytesIsNotRead() throws IOException {
        Path f = dir.resolve("config.json");
        try (var raf = new java.io.RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(2L << 30);
        }
        rejected(f, "not a config file");
    }

    // ---- generation_config.json ----

    private Path generation(String text) throws IOException {
        return Files.writeString(dir.resolve("generation_config.json"), text);
    }

    @Test
    void generationConfigOfTheFixture() {
        Blip2Config c = Blip2Config.read(TINY);
        GenerationConfig g = GenerationConfig.read(TINY, c.text());
        assertThat(g.bosTokenId()).isEqualTo(2);
        assertThat(g.eosTokenIds()).containsExactly(2);
        assertThat(g.padTokenId()).isEqualTo(1);
        assertThat(g.maxNewTokens()).isEqualTo(20);
        assertThat(g.numBeams()).isEqualTo(1);
        assertThat(g.lengthPenalty()).isEqualTo(1.0);
        assertThat(g.repetitionPenalty()).isEqualTo(1.0);
    }

    @Test
    void generationConfigEosAsListAndAsInt() throws IOException {
        var text = Blip2Config.read(TINY).text();
        generation("{\"eos_token_id\":[2, 50118],\"num_beams\":3,\"max_new_tokens\":30,\"length_penalty\":-1.5,"
                + "\"repetition_penalty\":1.2,\"bos_token_id\":7,\"pad_token_id\":0}");
        GenerationConfig g = GenerationConfig.read(dir, text);
        assertThat(g.eosTokenIds()).containsExactly(2, 50118);
        assertThat(g.numBeams()).isEqualTo(3);
        assertThat(g.maxNewTokens()).isEqualTo(30);
        assertThat(g.lengthPenalty()).isEqualTo(-1.5);
        assertThat(g.repetitionPenalty()).isEqualTo(1.2);
        assertThat(g.bosTokenId()).isEqualTo(7);
        assertThat(g.padTokenId()).isZero();

        generation("{\"eos_token_id\":50118}");
        assertThat(GenerationConfig.read(dir, text).eosTokenIds()).containsExactly(50118);
    }

    @Test
    void absentGenerationConfigUsesTheTextConfig() throws IOException {
        Path f = tinyWith(r -> {
            sub(r, "text_config").put("eos_token_id", 5);
            sub(r, "text_config").put("bos_token_id", 4);
        });
        assertThat(f).exists();
        GenerationConfig g = GenerationConfig.read(dir, Blip2Config.read(dir).text());
        assertThat(g.eosTokenIds()).containsExactly(5);
        assertThat(g.bosTokenId()).isEqualTo(4);
        assertThat(g.maxNewTokens()).isEqualTo(20);
    }

    @Test
    void badGenerationConfig() throws IOException {
        var text = Blip2Config.read(TINY).text();
        Path f = generation("{\"eos_token_id\":\"2\"}");
        rejects(f, "eos_token_id must be an integer or a list of integers", () -> GenerationConfig.read(dir, text));
        generation("{\"eos_token_id\":[2, \"x\"]}");
        rejects(f, "eos_token_id must be an integer or a list of integers", () -> GenerationConfig.read(dir, text));
        generation("{\"num_beams\":2.5}");
        rejects(f, "num_beams must be an integer", () -> GenerationConfig.read(dir, text));
        generation("not json");
        rejects(f, "not valid JSON", () -> GenerationConfig.read(dir, text));
    }
}
