package dev.blip2serve.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.blip2.WeightPrecision;
import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.convert.ProgressListener;
import dev.blip2serve.convert.VariantFiles;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.testing.Fixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --int8-lm-head}: the LM head as 8-bit MatMulNBits weights (group 128) read from the tied embedding table,
 * against the same variant with the float head, on shapes-blip2 (vocabulary 401, D 256).
 */
class Int8LmHeadTest {

    static Path variant(Path repo, String name, boolean int8Head) throws Exception {
        Recipe recipe = Recipe.of(Preset.W4A16_RTN, null, null, null, Scope.LLM, null, 4, int8Head);
        Path dir = repo.resolve(name);
        Manifest m = QuantizePipeline.run(new QuantizePipeline.Request(Fixtures.SHAPES, dir, "shapes-blip2", name, recipe,
                null, 0, QuantizePipeline.DEFAULT_SAMPLE_ROWS, WeightPrecision.FP32), ProgressListener.NONE);
        assertThat(m.method().parameters().get("lm_head")).asString().startsWith(int8Head ? "int8-sym-g128" : "float");
        return dir;
    }

    @Test
    void theHeadIsQuantizedAndStaysCloseToTheFloatHead(@TempDir Path repo) throws Exception {
        Path floatHead = variant(repo, "a4", false);
        Path int8Head = variant(repo, "a4-head", true);
        String graph = new String(Files.readAllBytes(int8Head.resolve(VariantFiles.DECODER)), StandardCharsets.ISO_8859_1);
        assertThat(graph).contains("lm.lm_head.qweight").contains("MatMulNBits");
        assertThat(new String(Files.readAllBytes(floatHead.resolve(VariantFiles.DECODER)), StandardCharsets.ISO_8859_1))
                .doesNotContain("lm.lm_head.qweight");

        Blip2Config config = Blip2Config.read(Fixtures.SHAPES);
        int vocab = config.text().vocabSize();
        int prefix = config.numQueryTokens() * config.text().hiddenSize();
        int positions = 0;
        int sameTop1 = 0;
        double worst = 0;
        for (int image = 0; image < 4; image++) {
            float[] a = QuantizeTesting.outputs(floatHead, Fixtures.SHAPES, image);
            float[] b = QuantizeTesting.outputs(int8Head, Fixtures.SHAPES, image);
            // the query embeddings (same vision graph) come first, then the logits [positions, vocab]
            for (int off = prefix; off + vocab <= a.length; off += vocab) {
                positions++;
                int ta = argmax(a, off, vocab);
                int tb = argmax(b, off, vocab);
                sameTop1 += ta == tb ? 1 : 0;
                double range = 0;
                double diff = 0;
                for (int v = 0; v < vocab; v++) {
                    range = Math.max(range, Math.abs(a[off + v]));
                    diff = Math.max(diff, Math.abs(a[off + v] - b[off + v]));
                }
                worst = Math.max(worst, diff / range);
            }
        }
        // int8 weights per group of 128: each logit moves by a fraction of a percent of the largest logit
        assertThat(worst).isLessThan(0.02);
        assertThat(sameTop1).isGreaterThanOrEqualTo(positions - 1);
    }

    private static int argmax(float[] x, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (x[off + i] > x[off + best]) {
                best = i;
            }
        }
        return best;
    }
}
