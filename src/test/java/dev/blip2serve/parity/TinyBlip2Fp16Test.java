package dev.blip2serve.parity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.blip2.WeightPrecision;
import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.checkpoint.SafetensorsFile;
import dev.blip2serve.convert.VariantFiles;
import dev.blip2serve.runtime.OrtCausalLm;
import dev.blip2serve.runtime.OrtOptions;
import dev.blip2serve.runtime.VisionRunner;
import dev.blip2serve.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The fp16 variant (fp16 weights) runs on the CPU build and stays within 5e-2 of HF's float32 logits. */
class TinyBlip2Fp16Test {

    @Test
    void fp16LogitsWithin5e2OfGoldenFromPixelsOnward() throws Exception {
        Path variant = Fixtures.variant(Fixtures.TINY, WeightPrecision.FP16);
        Path fp32 = Fixtures.variant(Fixtures.TINY, WeightPrecision.FP32);
        assertThat(Files.size(variant.resolve(VariantFiles.DECODER))).isLessThan(Files.size(fp32.resolve(VariantFiles.DECODER)));
        Blip2Config config = Blip2Config.read(Fixtures.TINY);
        var t = config.text();
        int q = config.numQueryTokens();
        float worst = 0;
        try (SafetensorsFile golden = Fixtures.golden();
             VisionRunner vision = new VisionRunner(variant.resolve(VariantFiles.VISION), config.vision().imageSize(), OrtOptions.cpu());
             OrtCausalLm lm = new OrtCausalLm(variant.resolve(VariantFiles.DECODER), t.layers(), t.heads(), t.hiddenSize(), t.vocabSize(), OrtOptions.cpu())) {
            for (JsonNode c : TinyBlip2ParityTest.cases()) {
                String image = TinyBlip2ParityTest.imageOf(c);
                float[] prefix = vision.queryEmbeds(golden.readFloats(image + ".pixel_values"), 1);
                long[] ids = java.util.stream.Stream.concat(TinyBlip2ParityTest.longs(c.get("input_ids")),
                        TinyBlip2ParityTest.longs(c.get("greedy_new_ids"))).mapToLong(Long::longValue).toArray();
                long[] mask = new long[q + ids.length];
                java.util.Arrays.fill(mask, 1);
                float[] logits = lm.logits(prefix, q, ids, ids.length, mask, 1, q + ids.length);
                float diff = Fixtures.maxAbsDiff(logits, golden.readFloats(c.get("logits_key").asString()));
                worst = Math.max(worst, diff);
                assertThat(diff).as(c.get("logits_key").asString()).isLessThan(5e-2f);
            }
        }
        System.out.printf("tiny-blip2 fp16: worst logit difference %.4g%n", worst);
    }
}
