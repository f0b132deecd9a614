package dev.blip2serve.synthetic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.blip2.VisionGraph;
import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.checkpoint.SafetensorsFile;
import dev.blip2serve.convert.VariantFiles;
import dev.blip2serve.generation.Caption;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.generation.Generator;
import dev.blip2serve.repository.ManifestIo;
import dev.blip2serve.runtime.OrtCausalLm;
import dev.blip2serve.runtime.OrtOptions;
import dev.blip2serve.runtime.VisionRunner;
import dev.blip2serve.testing.Fixtures;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import tools.jackson.databind.JsonNode;

/**
 * A variant converted from the full-size synthetic checkpoint ({@code synth --shape opt-2.7b} or
 * {@code opt-6.7b}, seed 0) against Hugging Face transformers on the same weights: the reference tensors
 * of {@code scripts/gpu/full_size_reference.py} (fixtures/full-size). Needs the 15 GB checkpoint converted
 * and ~16 GB of RAM, so it runs only when {@code BLIP2_FULL_SIZE_VARIANT} names the variant folder.
 */
@EnabledIfEnvironmentVariable(named = "BLIP2_FULL_SIZE_VARIANT", matches = ".+",
        disabledReason = "needs a converted full-size synthetic variant (15 GB, ~16 GB RAM): docs/PARITY.md")
class FullSizeParityTest {

    @Test
    void graphsMatchTransformersAtFullSize() throws Exception {
        Path variant = Path.of(System.getenv("BLIP2_FULL_SIZE_VARIANT"));
        Blip2Config config = Blip2Config.read(variant);
        String size = config.text().hiddenSize() == 2560 ? "2.7b" : "6.7b";
        Path dir = Path.of("src/test/resources/fixtures/full-size");
        JsonNode meta = Fixtures.json(dir.resolve("opt-" + size + "-reference.json"));
        boolean fp16 = ManifestIo.read(variant).preset().equals("fp16");
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("variant", variant.toString());
        float[] prefix;
        try (SafetensorsFile ref = SafetensorsFile.open(dir.resolve("opt-" + size + "-reference.safetensors"));
             VisionRunner vision = new VisionRunner(variant.resolve(VariantFiles.VISION), config.vision().imageSize(),
                     OrtOptions.cpu())) {
            float[] pixels = ref.readFloats("pixel_values");
            // The law of the pixels is the checkpoint's own: HashedWeights on the name "pixel_values".
            float[] law = new float[pixels.length];
            HashedWeights.fill("pixel_values", 0, law, 0.0, 1.5);
            assertThat(law).isEqualTo(pixels);
            Map<String, float[]> out = vision.outputs(pixels, 1,
                    Set.of(VisionGraph.VISION_HIDDEN, VisionGraph.QFORMER_HIDDEN, VisionGraph.QUERY_EMBEDS));
            prefix = out.get(VisionGraph.QUERY_EMBEDS);
            report.put("vision", diff(out.get(VisionGraph.VISION_HIDDEN), ref.readFloats("vision_last_hidden_state")));
            report.put("qformer", diff(out.get(VisionGraph.QFORMER_HIDDEN), ref.readFloats("qformer_last_hidden_state")));
            report.put("projection", diff(prefix, ref.readFloats("language_projection")));
            float[] expectedLogits = ref.readFloats("prompt_logits");
            long[] prompt = longs(meta.get("prompt_ids"));
            int q = config.numQueryTokens();
            try (OrtCausalLm lm = new OrtCausalLm(variant.resolve(VariantFiles.DECODER), config.text().layers(),
                    config.text().heads(), config.text().hiddenSize(), config.text().vocabSize(), OrtOptions.cpu())) {
                long[] mask = new long[q + prompt.length];
                Arrays.fill(mask, 1);
                float[] logits = lm.logits(prefix, q, prompt, prompt.length, mask, 1, prompt.length);
                report.put("prompt_logits", diff(logits, expectedLogits));
                long[] expectedIds = longs(meta.get("greedy_new_ids"));
                Caption got = new Generator(lm).generate(prefix, q, List.of(prompt),
                        GenerationParams.greedy(expectedIds.length, new int[] {-1}, 1)).getFirst().getFirst();
                report.put("greedy_new_ids", Arrays.toString(got.tokens()));
                report.put("hf_greedy_new_ids", Arrays.toString(expectedIds));
                System.out.println("full-size parity: " + report);
                // fp32 graphs vs fp32 PyTorch: summation order only. fp16 weights round every weight by up to 2^-11.
                double tol = fp16 ? 5e-3 : 1e-4;
                for (String k : List.of("vision", "qformer", "projection", "prompt_logits")) {
                    @SuppressWarnings("unchecked")
                    Map<String, Double> d = (Map<String, Double>) report.get(k);
                    assertThat(d.get("max_abs_diff") / d.get("max_abs_ref")).as(k + " " + d).isLessThan(tol);
                }
                if (!fp16) {
                    assertThat(got.tokens()).as("greedy ids").containsExactly(expectedIds);
                }
            }
        }
    }

    private static Map<String, Double> diff(float[] got, float[] expected) {
        assertThat(got).hasSameSizeAs(expected);
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < got.length; i++) {
            assertThat(Float.isFinite(got[i])).as("finite at " + i).isTrue();
            maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("max_abs_diff", maxDiff);
        m.put("max_abs_ref", maxRef);
        return m;
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }
}
