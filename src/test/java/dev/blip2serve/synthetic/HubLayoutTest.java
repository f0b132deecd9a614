package dev.blip2serve.synthetic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.blip2.GraphWeights;
import dev.blip2serve.blip2.OptDecoderGraph;
import dev.blip2serve.blip2.VisionGraph;
import dev.blip2serve.blip2.WeightPrecision;
import dev.blip2serve.blip2.hf.HfBlip2OptWeights;
import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.checkpoint.Checkpoint;
import dev.blip2serve.checkpoint.DType;
import dev.blip2serve.checkpoint.TensorInfo;
import dev.blip2serve.onnx.GraphBuilder;
import dev.blip2serve.onnx.TensorData;
import dev.blip2serve.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The full-size layouts without writing their data: the 2.7B checkpoint as a sparse file (headers real,
 * data holes) read back through {@link Checkpoint}, compared with the hub structure, with the parameter
 * names and count of transformers' own model (fixtures/full-size, from scripts/gpu/full_size_reference.py).
 */
class HubLayoutTest {

    static final Path FULL_SIZE = Path.of("src/test/resources/fixtures/full-size");

    // The hub's BLIP-2 OPT-2.7B, counted by hand from the dimensions (not from SyntheticShape).
    static final long V = 1408, VI = 6144, Q = 768, QI = 3072;
    static final long VISION = V + 257 * V + V * 3 * 14 * 14 + V
            + 39 * (2 * V + 3 * V * V + V * V + V + 2 * V + VI * V + VI + V * VI + V + 2 * V) + 2 * V;
    static final long QF_ATTN = 4 * (Q * Q + Q) + 2 * Q;
    static final long QF_CROSS = (Q * Q + Q) + 2 * (Q * V + Q) + (Q * Q + Q) + 2 * Q;
    static final long QF_FFN = Q * QI + QI + QI * Q + Q + 2 * Q;
    static final long QFORMER = 2 * Q + 12 * (QF_ATTN + 2 * QF_FFN) + 6 * QF_CROSS + 32 * Q;

    static long opt(long d, long ffn) {
        long vocab = 50272;
        return vocab * d + 2050 * d + 2 * d + 32 * (4 * (d * d + d) + 2 * d + ffn * d + ffn + d * ffn + d + 2 * d);
    }

    static long total(long d, long ffn) {
        return VISION + QFORMER + (Q * d + d) + opt(d, ffn) + 50272 * d; // + projection, + the stored lm_head
    }

    @Test
    void theTwoPointSevenBillionCheckpointHasTheHubStructure(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("blip2-opt-2.7b");
        SyntheticCheckpoint.Written w = SyntheticCheckpoint.write(dir,
                SyntheticCheckpoint.Options.of(SyntheticShape.OPT_2_7B).withData(SyntheticCheckpoint.Data.SPARSE),
                SyntheticCheckpoint.Progress.NONE);
        assertThat(total(2560, 10240)).isEqualTo(3_930_008_960L);
        assertThat(w.parameters()).isEqualTo(total(2560, 10240));
        assertThat(w.weightBytes()).isEqualTo(4 * total(2560, 10240)); // 15.7 GB of float32
        assertThat(w.tensors()).isEqualTo(1 + 4 + 39 * 13 + 2 + 2 + 12 * 22 + 6 * 10 + 2 + 4 + 32 * 16 + 1);
        assertThat(w.weightFiles()).extracting(p -> p.getFileName().toString())
                .containsExactly("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors");
        assertThat(Files.size(w.weightFiles().get(0))).isLessThanOrEqualTo(SyntheticCheckpoint.HUB_MAX_SHARD_BYTES + (1 << 20));

        JsonNode index = Fixtures.json(dir.resolve(Checkpoint.INDEX_FILE));
        assertThat(index.get("metadata").get("total_size").asLong()).isEqualTo(w.weightBytes());
        assertThat(index.get("weight_map").size()).isEqualTo(w.tensors());

        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThat(ckpt.names()).hasSize(w.tensors());
            long params = 0;
            for (String n : ckpt.names()) {
                TensorInfo t = ckpt.info(n);
                assertThat(t.dtype()).isEqualTo(DType.F32);
                params += t.elementCount();
            }
            assertThat(params).isEqualTo(w.parameters());
            assertShape(ckpt, "query_tokens", 1, 32, 768);
            assertShape(ckpt, "vision_model.embeddings.patch_embedding.weight", 1408, 3, 14, 14);
            assertShape(ckpt, "vision_model.embeddings.position_embedding", 1, 257, 1408);
            assertShape(ckpt, "vision_model.embeddings.class_embedding", 1, 1, 1408);
            assertShape(ckpt, "vision_model.encoder.layers.38.self_attn.qkv.weight", 4224, 1408);
            assertShape(ckpt, "vision_model.encoder.layers.38.self_attn.q_bias", 1408);
            assertShape(ckpt, "vision_model.encoder.layers.38.self_attn.v_bias", 1408);
            assertShape(ckpt, "vision_model.encoder.layers.0.mlp.fc1.weight", 6144, 1408);
            assertThat(ckpt.has("vision_model.encoder.layers.0.self_attn.qkv.bias")).isFalse();
            assertShape(ckpt, "qformer.encoder.layer.10.crossattention.attention.key.weight", 768, 1408);
            assertThat(ckpt.has("qformer.encoder.layer.11.crossattention.attention.key.weight")).isFalse();
            assertShape(ckpt, "qformer.encoder.layer.11.intermediate.dense.weight", 3072, 768);
            assertShape(ckpt, "qformer.encoder.layer.11.output_query.dense.weight", 768, 3072);
            assertShape(ckpt, "language_projection.weight", 2560, 768);
            assertShape(ckpt, "language_model.model.decoder.embed_tokens.weight", 50272, 2560);
            assertShape(ckpt, "language_model.model.decoder.embed_positions.weight", 2050, 2560);
            assertShape(ckpt, "language_model.model.decoder.layers.31.fc1.weight", 10240, 2560);
            assertShape(ckpt, "language_model.lm_head.weight", 50272, 2560);

            // transformers' own model: the same names, except what the hub files store differently.
            assertThat(ckpt.names()).containsExactlyInAnyOrderElementsOf(hubNamesFromTransformers("2.7b"));

            // The converter's name mapping resolves every weight at full size (graphs built, nothing read).
            Blip2Config cfg = Blip2Config.read(dir);
            HfBlip2OptWeights source = new HfBlip2OptWeights(ckpt, cfg);
            GraphWeights vw = new GraphWeights(source, WeightPrecision.FP32);
            long vision = weightBytes(VisionGraph.build(cfg, vw, vw));
            GraphWeights lw = new GraphWeights(source, WeightPrecision.FP32);
            long decoder = weightBytes(OptDecoderGraph.build(cfg, lw, lw));
            // vision graph: ViT (fused qkv bias: + 39 x 1408 zeros) + Q-Former without its text FFN + projection
            long visionParams = VISION + 39 * V + QFORMER - 12 * QF_FFN + Q * 2560 + 2560;
            assertThat(vision).isBetween(4 * visionParams, 4 * visionParams + 4096);
            // decoder graph: OPT, the lm_head tied to embed_tokens (one copy serves both; the stored head is unused)
            assertThat(decoder).isBetween(4 * opt(2560, 10240), 4 * opt(2560, 10240) + 4096);
        }
    }

    @Test
    void parameterCountsEqualTransformersForBothSizes() {
        for (var c : List.of(new Object[] {SyntheticShape.OPT_2_7B, "2.7b", 2560L, 10240L},
                new Object[] {SyntheticShape.OPT_6_7B, "6.7b", 4096L, 16384L})) {
            SyntheticShape shape = (SyntheticShape) c[0];
            long params = HubLayout.tensors(shape).stream().mapToLong(TensorSpec::elementCount).sum();
            long d = (Long) c[2];
            assertThat(params).as(shape.name()).isEqualTo(total(d, (Long) c[3]));
            // transformers counts one fused qkv bias (zeros in the middle), no separate lm_head, no text FFN.
            long hf = Fixtures.json(FULL_SIZE.resolve("opt-" + c[1] + "-reference.json")).get("parameters").asLong();
            assertThat(params - 50272 * d - 12 * QF_FFN + 39 * V).as(shape.name()).isEqualTo(hf);
            Set<String> names = new TreeSet<>();
            HubLayout.tensors(shape).forEach(t -> names.add(t.name()));
            assertThat(names).containsExactlyInAnyOrderElementsOf(hubNamesFromTransformers((String) c[1]));
        }
        // 6.7B in float32 is 32 GB: four shards of at most 10 GB.
        assertThat(SyntheticCheckpoint.shards(HubLayout.tensors(SyntheticShape.OPT_6_7B), StorageType.F32,
                SyntheticCheckpoint.HUB_MAX_SHARD_BYTES)).hasSize(4);
        // float16 2.7B fits one shard: model.safetensors without an index, as save_pretrained writes it.
        assertThat(SyntheticCheckpoint.shards(HubLayout.tensors(SyntheticShape.OPT_2_7B), StorageType.F16,
                SyntheticCheckpoint.HUB_MAX_SHARD_BYTES)).hasSize(1);
    }

    /**
     * transformers' parameter names mapped to what the hub files hold: {@code qkv.bias} stored as
     * {@code q_bias} + {@code v_bias}, the tied {@code lm_head} stored, and the Q-Former text FFN
     * ({@code intermediate}, {@code output}) that transformers 5 no longer builds.
     */
    static Set<String> hubNamesFromTransformers(String size) {
        Set<String> names = new HashSet<>();
        for (JsonNode n : Fixtures.json(FULL_SIZE.resolve("opt-" + size + "-hf-parameter-names.json"))) {
            String name = n.asString();
            if (name.endsWith("self_attn.qkv.bias")) {
                String prefix = name.substring(0, name.length() - "qkv.bias".length());
                names.add(prefix + "q_bias");
                names.add(prefix + "v_bias");
            } else {
                names.add(name);
            }
        }
        names.add("language_model.lm_head.weight");
        for (int i = 0; i < 12; i++) {
            String l = "qformer.encoder.layer." + i + ".";
            for (String t : List.of("intermediate.dense", "output.dense", "output.LayerNorm")) {
                names.add(l + t + ".weight");
                names.add(l + t + ".bias");
            }
        }
        return names;
    }

    private static void assertShape(Checkpoint ckpt, String name, long... shape) {
        assertThat(ckpt.info(name).shape()).as(name).containsExactly(shape);
    }

    private static long weightBytes(GraphBuilder g) {
        long sum = 0;
        for (TensorData t : g.initializers().values()) {
            sum += t.byteSize();
        }
        return sum;
    }
}
