package dev.blip2serve.parity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.blip2.VisionGraph;
import dev.blip2serve.blip2.WeightPrecision;
import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.checkpoint.SafetensorsFile;
import dev.blip2serve.convert.VariantFiles;
import dev.blip2serve.generation.Caption;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.generation.Generator;
import dev.blip2serve.runtime.OrtCausalLm;
import dev.blip2serve.runtime.OrtOptions;
import dev.blip2serve.runtime.VisionRunner;
import dev.blip2serve.testing.Fixtures;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The fp32 graphs against Hugging Face's float32 reference tensors of tiny-blip2. */
class TinyBlip2ParityTest {

    static final String[] IMAGES = {"astronaut", "coffee", "chelsea", "rocket", "camera"};

    static Blip2Config config;
    static SafetensorsFile golden;
    static VisionRunner vision;
    static OrtCausalLm lm;

    @BeforeAll
    static void setUp() throws Exception {
        Path variant = Fixtures.variant(Fixtures.TINY, WeightPrecision.FP32);
        config = Blip2Config.read(Fixtures.TINY);
        golden = Fixtures.golden();
        vision = new VisionRunner(variant.resolve(VariantFiles.VISION), config.vision().imageSize(), OrtOptions.cpu());
        var t = config.text();
        lm = new OrtCausalLm(variant.resolve(VariantFiles.DECODER), t.layers(), t.heads(), t.hiddenSize(), t.vocabSize(), OrtOptions.cpu());
    }

    @AfterAll
    static void tearDown() throws Exception {
        vision.close();
        lm.close();
        golden.close();
    }

    @Test
    void visionQformerAndProjectionMatchWithin1e4() throws Exception {
        float[] worst = new float[3];
        for (String image : IMAGES) {
            float[] pixels = golden.readFloats(image + ".pixel_values");
            Map<String, float[]> out = vision.outputs(pixels, 1,
                    Set.of(VisionGraph.VISION_HIDDEN, VisionGraph.QFORMER_HIDDEN, VisionGraph.QUERY_EMBEDS));
            float v = Fixtures.maxAbsDiff(out.get(VisionGraph.VISION_HIDDEN), golden.readFloats(image + ".vision_last_hidden_state"));
            float qf = Fixtures.maxAbsDiff(out.get(VisionGraph.QFORMER_HIDDEN), golden.readFloats(image + ".qformer_last_hidden_state"));
            float pr = Fixtures.maxAbsDiff(out.get(VisionGraph.QUERY_EMBEDS), golden.readFloats(image + ".language_projection"));
            assertThat(v).as(image + " vision").isLessThan(1e-4f);
            assertThat(qf).as(image + " qformer").isLessThan(1e-4f);
            assertThat(pr).as(image + " projection").isLessThan(1e-4f);
            worst[0] = Math.max(worst[0], v);
            worst[1] = Math.max(worst[1], qf);
            worst[2] = Math.max(worst[2], pr);
        }
        System.out.printf("tiny-blip2 fp32 max abs diff: vision %.3g, qformer %.3g, projection %.3g%n", worst[0], worst[1], worst[2]);
    }

    @Test
    void teacherForcedLogitsMatchWithin1e3InAllCases() {
        JsonNode cases = Fixtures.json(Fixtures.TINY.resolve("golden.json")).get("cases");
        assertThat(cases.size()).isEqualTo(10);
        int q = config.numQueryTokens();
        float worst = 0;
        for (JsonNode c : cases) {
            String image = c.get("image").asString().replace("images/", "").replace(".png", "");
            long[] ids = Stream.concat(longs(c.get("input_ids")), longs(c.get("greedy_new_ids"))).mapToLong(Long::longValue).toArray();
            long[] mask = new long[q + ids.length];
            java.util.Arrays.fill(mask, 1);
            float[] prefix = golden.readFloats(image + ".language_projection");
            float[] logits = lm.logits(prefix, q, ids, ids.length, mask, 1, q + ids.length);
            float[] expected = golden.readFloats(c.get("logits_key").asString());
            float diff = Fixtures.maxAbsDiff(logits, expected);
            assertThat(diff).as(c.get("logits_key").asString()).isLessThan(1e-3f);
            worst = Math.max(worst, diff);
        }
        System.out.printf("tiny-blip2 fp32 teacher-forced logits: worst max abs diff %.3g over 10 cases%n", worst);
    }

    @Test
    void greedyIdsMatchWhereverTheTop2MarginAllows() {
        int q = config.numQueryTokens();
        Generator gen = new Generator(lm);
        for (JsonNode c : cases()) {
            float[] prefix = golden.readFloats(imageOf(c) + ".language_projection");
            long[] prompt = longs(c.get("input_ids")).mapToLong(Long::longValue).toArray();
            long[] expected = longs(c.get("greedy_new_ids")).mapToLong(Long::longValue).toArray();
            Caption got = gen.generate(prefix, q, List.of(prompt), GenerationParams.greedy(expected.length, new int[] {2}, 1))
                    .getFirst().getFirst();
            // Every case's min_top2_margin is above 1e-3 (checked below), so every step must agree.
            assertThat(c.get("min_top2_margin").asDouble()).isGreaterThan(1e-3);
            assertThat(got.tokens()).as(c.get("logits_key").asString()).containsExactly(expected);
            assertThat(c.get("hf_generate_greedy_ids")).isEqualTo(c.get("greedy_new_ids"));
        }
    }

    @Test
    void beam3MatchesHfGenerate() {
        int q = config.numQueryTokens();
        Generator gen = new Generator(lm);
        int matches = 0;
        StringBuilder misses = new StringBuilder();
        for (JsonNode c : cases()) {
            float[] prefix = golden.readFloats(imageOf(c) + ".language_projection");
            long[] prompt = longs(c.get("input_ids")).mapToLong(Long::longValue).toArray();
            long[] expected = longs(c.get("hf_generate_beam3_ids")).mapToLong(Long::longValue).toArray();
            GenerationParams p = GenerationParams.greedy(12, new int[] {2}, 1).withBeams(3);
            Caption got = gen.generate(prefix, q, List.of(prompt), p).getFirst().getFirst();
            long[] withEos = got.tokens().length < 12 ? append(got.tokens(), 2) : got.tokens();
            if (java.util.Arrays.equals(withEos, expected)) {
                matches++;
            } else {
                misses.append(c.get("logits_key").asString()).append(": got ")
                        .append(java.util.Arrays.toString(withEos)).append(" expected ").append(java.util.Arrays.toString(expected)).append('\n');
            }
        }
        assertThat(matches).as(misses.toString()).isEqualTo(10);
    }

    @Test
    void leftPaddedBatchReproducesItsGreedyIds() {
        JsonNode b = Fixtures.json(Fixtures.TINY.resolve("golden.json")).get("batch_left_padded");
        int q = config.numQueryTokens();
        List<long[]> prompts = new java.util.ArrayList<>();
        float[] prefix = new float[0];
        for (int i = 0; i < 2; i++) {
            long[] padded = longs(b.get("input_ids").get(i)).mapToLong(Long::longValue).toArray();
            long[] mask = longs(b.get("attention_mask").get(i)).mapToLong(Long::longValue).toArray();
            int start = 0;
            while (mask[start] == 0) {
                start++;
            }
            prompts.add(java.util.Arrays.copyOfRange(padded, start, padded.length));
            String image = b.get("images").get(i).asString().replace("images/", "").replace(".png", "");
            float[] one = golden.readFloats(image + ".language_projection");
            float[] joined = java.util.Arrays.copyOf(prefix, prefix.length + one.length);
            System.arraycopy(one, 0, joined, prefix.length, one.length);
            prefix = joined;
        }
        int steps = b.get("greedy_new_ids").get(0).size();
        List<List<Caption>> out = new Generator(lm).generate(prefix, q, prompts, GenerationParams.greedy(steps, new int[] {2}, 1));
        for (int i = 0; i < 2; i++) {
            long[] expected = longs(b.get("greedy_new_ids").get(i)).mapToLong(Long::longValue).toArray();
            assertThat(out.get(i).getFirst().tokens()).as("row " + i).containsExactly(expected);
        }
    }

    static long[] append(long[] a, long v) {
        long[] out = java.util.Arrays.copyOf(a, a.length + 1);
        out[a.length] = v;
        return out;
    }

    static JsonNode cases() {
        return Fixtures.json(Fixtures.TINY.resolve("golden.json")).get("cases");
    }

    static String imageOf(JsonNode c) {
        return c.get("image").asString().replace("images/", "").replace(".png", "");
    }

    static Stream<Long> longs(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asLong);
    }
}
