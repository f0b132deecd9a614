package dev.blip2serve.synthetic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.blip2serve.blip2.WeightPrecision;
import dev.blip2serve.blip2.hf.HfBlip2OptWeights;
import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.checkpoint.Checkpoint;
import dev.blip2serve.checkpoint.DType;
import dev.blip2serve.checkpoint.GenerationConfig;
import dev.blip2serve.convert.Blip2Converter;
import dev.blip2serve.convert.ProgressListener;
import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.engine.CaptionBatch;
import dev.blip2serve.engine.CaptionText;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.runtime.OrtOptions;
import dev.blip2serve.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tiny shape end to end: written, read back as a hub checkpoint, converted and captioned with. */
class SyntheticCheckpointTest {

    @TempDir
    static Path tmp;

    static Path tiny;
    static SyntheticCheckpoint.Written written;

    @BeforeAll
    static void writeTiny() throws Exception {
        tiny = tmp.resolve("tiny");
        // A small shard limit so that even the tiny shape is sharded with an index, as the hub's 2.7B is.
        written = SyntheticCheckpoint.write(tiny, SyntheticCheckpoint.Options.of(SyntheticShape.TINY)
                .withShardLimit(8_000_000), SyntheticCheckpoint.Progress.NONE);
    }

    @Test
    void readsBackAsAHubCheckpointWithTheShapesConfig() throws Exception {
        assertThat(written.weightFiles()).hasSizeGreaterThan(1);
        assertThat(tiny.resolve(Checkpoint.INDEX_FILE)).exists();
        for (String f : List.of("config.json", "generation_config.json", "preprocessor_config.json", "tokenizer.json",
                "tokenizer_config.json")) {
            assertThat(tiny.resolve(f)).isRegularFile();
        }
        Blip2Config cfg = Blip2Config.read(tiny);
        SyntheticShape s = SyntheticShape.TINY;
        assertThat(cfg.vision().hiddenSize()).isEqualTo(s.visionHidden());
        assertThat(cfg.vision().layers()).isEqualTo(s.visionLayers());
        assertThat(cfg.vision().tokens()).isEqualTo(s.visionTokens());
        assertThat(cfg.qformer().encoderHiddenSize()).isEqualTo(s.visionHidden());
        assertThat(cfg.numQueryTokens()).isEqualTo(s.queryTokens());
        assertThat(cfg.text().vocabSize()).isEqualTo(50272);
        assertThat(cfg.text().tieWordEmbeddings()).isTrue();
        assertThat(GenerationConfig.read(tiny, cfg.text()).eosTokenIds()).containsExactly(50118);
        try (Checkpoint ckpt = Checkpoint.open(tiny)) {
            assertThat(ckpt.names()).hasSize(written.tensors());
            assertThat(ckpt.files()).hasSize(written.weightFiles().size());
            for (TensorSpec t : HubLayout.tensors(s)) {
                assertThat(ckpt.info(t.name()).shape()).as(t.name()).containsExactly(t.shape());
                assertThat(ckpt.info(t.name()).dtype()).isEqualTo(DType.F32);
            }
        }
    }

    @Test
    void valuesFollowTheHashedLawBitForBit() {
        try (Checkpoint ckpt = Checkpoint.open(tiny)) {
            for (String name : List.of("language_model.model.decoder.layers.1.fc1.weight", "query_tokens",
                    "vision_model.encoder.layers.0.layer_norm1.weight", "qformer.layernorm.weight",
                    "vision_model.encoder.layers.2.self_attn.q_bias")) {
                float[] got = ckpt.floats(name);
                float[] law = new float[got.length];
                double[] ol = HashedWeights.law(name);
                HashedWeights.fill(name, 0, law, ol[0], ol[1]);
                assertThat(got).as(name).isEqualTo(law);
            }
            float[] ln = ckpt.floats("language_model.model.decoder.final_layer_norm.weight");
            for (float v : ln) {
                assertThat(v).isBetween(0.9f, 1.1f);
            }
            // The stored lm_head is the embedding, as tie_weights() leaves it.
            assertThat(ckpt.floats("language_model.lm_head.weight"))
                    .isEqualTo(ckpt.floats("language_model.model.decoder.embed_tokens.weight"));
        }
    }

    @Test
    void theConverterFusesTheHubsQAndVBiases() {
        try (Checkpoint ckpt = Checkpoint.open(tiny)) {
            Blip2Config cfg = Blip2Config.read(tiny);
            HfBlip2OptWeights w = new HfBlip2OptWeights(ckpt, cfg);
            int d = cfg.vision().hiddenSize();
            float[] qkv = w.load("vision.layers.1.attn.qkv.bias");
            String p = "vision_model.encoder.layers.1.self_attn.";
            assertThat(Arrays.copyOfRange(qkv, 0, d)).isEqualTo(ckpt.floats(p + "q_bias"));
            assertThat(Arrays.copyOfRange(qkv, d, 2 * d)).containsOnly(0f);
            assertThat(Arrays.copyOfRange(qkv, 2 * d, 3 * d)).isEqualTo(ckpt.floats(p + "v_bias"));
            assertThat(w.has("lm.lm_head.weight")).as("tied: the embedding serves as head").isFalse();
        }
    }

    @Test
    void convertsAndCaptionsInBothPrecisions() throws Exception {
        Path image = Fixtures.TINY.resolve("images/astronaut.jpg");
        for (WeightPrecision p : List.of(WeightPrecision.FP32, WeightPrecision.FP16)) {
            Path variant = tmp.resolve("repo/tiny/" + p.name().toLowerCase());
            Blip2Converter.convert(new Blip2Converter.Request(tiny, variant, "tiny", p.name().toLowerCase(), p,
                    Blip2Converter.INLINE_LIMIT), ProgressListener.NONE);
            try (Blip2Model m = Blip2Model.open(variant, OrtOptions.cpu(), true)) {
                float[] pixels = m.preprocessor().preprocess(Files.readAllBytes(image));
                assertThat(pixels).hasSize(3 * 32 * 32);
                GenerationParams params = GenerationParams.greedy(6, new int[] {-1}, 1);
                CaptionBatch b = m.caption(List.of(pixels, pixels), List.of("", "a photo of"), params);
                for (var ic : b.images()) {
                    CaptionText c = ic.best();
                    assertThat(c.tokens()).hasSize(6);
                    assertThat(Arrays.stream(c.tokens()).allMatch(t -> t >= 0 && t < 50272)).isTrue();
                    assertThat(c.logprob()).isFinite().isNegative();
                    // Ids of OPT's vocabulary above the small tokenizer's 401 decode to nothing: no failure.
                    assertThat(c.text()).isNotNull();
                }
                assertThat(b.decodeSteps()).isEqualTo(5);
            }
        }
    }

    @Test
    void float16StorageConvertsToTheSameGraphsWithinRounding() throws Exception {
        Path dir = tmp.resolve("tiny-f16");
        SyntheticCheckpoint.write(dir, SyntheticCheckpoint.Options.of(SyntheticShape.TINY).withDtype(StorageType.F16),
                SyntheticCheckpoint.Progress.NONE);
        assertThat(dir.resolve(SyntheticCheckpoint.SINGLE_FILE)).exists();
        try (Checkpoint f16 = Checkpoint.open(dir); Checkpoint f32 = Checkpoint.open(tiny)) {
            String name = "language_model.model.decoder.layers.0.fc2.weight";
            assertThat(f16.info(name).dtype()).isEqualTo(DType.F16);
            float[] a = f16.floats(name);
            float[] b = f32.floats(name);
            for (int i = 0; i < a.length; i++) {
                assertThat(a[i]).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(b[i])));
            }
        }
        Blip2Converter.convert(new Blip2Converter.Request(dir, tmp.resolve("repo/tiny-f16/fp32"), "tiny-f16", "fp32",
                WeightPrecision.FP32, Blip2Converter.INLINE_LIMIT), ProgressListener.NONE);
    }

    @Test
    void seedsAreReproducibleAndDistinct() throws Exception {
        Path again = tmp.resolve("tiny-again");
        Path other = tmp.resolve("tiny-seed-7");
        SyntheticCheckpoint.write(again, SyntheticCheckpoint.Options.of(SyntheticShape.TINY), SyntheticCheckpoint.Progress.NONE);
        SyntheticCheckpoint.write(other, SyntheticCheckpoint.Options.of(SyntheticShape.TINY).withSeed(7),
                SyntheticCheckpoint.Progress.NONE);
        try (Checkpoint a = Checkpoint.open(tiny); Checkpoint b = Checkpoint.open(again); Checkpoint c = Checkpoint.open(other)) {
            String n = "vision_model.encoder.layers.0.mlp.fc1.weight";
            assertThat(b.floats(n)).isEqualTo(a.floats(n));
            assertThat(c.floats(n)).isNotEqualTo(a.floats(n));
            assertThat(c.floats("language_model.lm_head.weight"))
                    .isEqualTo(c.floats("language_model.model.decoder.embed_tokens.weight"));
        }
    }

    @Test
    void refusesAFolderThatAlreadyHoldsWeights() {
        assertThatThrownBy(() -> SyntheticCheckpoint.write(tiny, SyntheticCheckpoint.Options.of(SyntheticShape.TINY),
                SyntheticCheckpoint.Progress.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already holds");
    }
}
