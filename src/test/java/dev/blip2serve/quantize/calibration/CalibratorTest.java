package dev.blip2serve.quantize.calibration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.blip2.hf.HfBlip2OptWeights;
import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.checkpoint.Checkpoint;
import dev.blip2serve.convert.ProgressListener;
import dev.blip2serve.quantize.LinearTopology;
import dev.blip2serve.quantize.Scope;
import dev.blip2serve.testing.Fixtures;
import dev.blip2serve.tokenizer.OptTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Calibration taps every linear in scope once per distinct input and sees every row of every item. */
class CalibratorTest {

    @Test
    void tapsEveryLinearAndCountsEveryRow() throws Exception {
        Blip2Config config = Blip2Config.read(Fixtures.TINY);
        CalibrationSet set = CalibrationSet.read(Fixtures.SHAPES_CALIB, 3);
        assertThat(set.sha256()).hasSize(64).isNotEqualTo(CalibrationSet.read(Fixtures.SHAPES_CALIB, 2).sha256());
        List<Long> progress = new ArrayList<>();
        try (Checkpoint ckpt = Checkpoint.open(Fixtures.TINY)) {
            var weights = new HfBlip2OptWeights(ckpt, config);
            LinearTopology topology = LinearTopology.of(config, weights);
            CalibrationResult r = new Calibrator(Fixtures.TINY, config, weights, 16)
                    .run(set, Scope.ALL::includes, (step, done, total) -> progress.add(done));
            assertThat(r.taps().keySet()).containsExactlyInAnyOrderElementsOf(topology.linears());
            // linears reading one tensor share one tap: one per input group here (tiny-blip2 has one
            // cross-attention layer; several would share the image embedding's tap)
            assertThat(new HashSet<>(r.taps().values())).hasSize(topology.groups().size());
            assertThat(r.taps().get("lm.layers.0.attn.v_proj")).isEqualTo("calib/lm.layers.0.attn.q_proj");
            // two passes over the three items: the vision graph, then (vision closed) the decoder
            assertThat(progress).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L);

            int tokens = 0;
            try (OptTokenizer tok = OptTokenizer.load(Fixtures.TINY)) {
                for (CalibrationSet.Item it : set.items()) {
                    tokens += tok.encode(it.text()).length;
                }
            }
            ActivationStats lm = r.of("lm.layers.1.fc2");
            assertThat(lm.rows()).isEqualTo(3L * config.numQueryTokens() + tokens);
            assertThat(lm.k()).isEqualTo(128);
            assertThat(lm.sample().rows()).isEqualTo(16);
            assertThat(r.of("vision.layers.0.mlp.fc1").rows()).isEqualTo(3L * config.vision().tokens());
            float[] relu = lm.absMax();
            for (float v : relu) {
                assertThat(v).isGreaterThanOrEqualTo(0f);
            }
            ActivationStats llmOnly = new Calibrator(Fixtures.TINY, config, weights, 16)
                    .run(set, Scope.LLM::includes, ProgressListener.NONE).of("lm.layers.1.fc2");
            assertThat(llmOnly.absMax()).containsExactly(lm.absMax());
        }
    }

    @Test
    void slicesOfTheDecoderSeeWhatTheWholeDecoderSees() throws Exception {
        Blip2Config config = Blip2Config.read(Fixtures.SHAPES);
        CalibrationSet set = CalibrationSet.read(Fixtures.SHAPES_CALIB, 4);
        List<Long> progress = new ArrayList<>();
        try (Checkpoint ckpt = Checkpoint.open(Fixtures.SHAPES)) {
            var weights = new HfBlip2OptWeights(ckpt, config);
            CalibrationResult whole = new Calibrator(Fixtures.SHAPES, config, weights, 32)
                    .run(set, Scope.LLM::includes, ProgressListener.NONE);
            // one byte per slice: every layer in a slice of its own, four slices for shapes-blip2's four layers;
            // samples of at most 3 rows: 4 layers x (256 q/k/v + 256 out_proj + 256 fc1 + 1024 fc2) x 4 B x 3
            long threeRows = 3L * 4 * (256 + 256 + 256 + 1024) * 4;
            CalibrationResult sliced = new Calibrator(Fixtures.SHAPES, config, weights, 32, 1, threeRows)
                    .run(set, Scope.LLM::includes, (step, done, total) -> progress.add(total));
            assertThat(progress).isNotEmpty().allMatch(total -> total == 4L * (1 + 4));
            assertThat(whole.sampleRows()).isEqualTo(32);
            assertThat(sliced.sampleRows()).isEqualTo(3);
            assertThat(sliced.taps()).isEqualTo(whole.taps());
            for (String linear : whole.taps().keySet()) {
                ActivationStats a = whole.of(linear);
                ActivationStats b = sliced.of(linear);
                assertThat(b.rows()).as(linear).isEqualTo(a.rows());
                assertThat(b.sample().rows()).as(linear).isEqualTo(3);
                float[] ma = a.absMax();
                float[] mb = b.absMax();
                for (int j = 0; j < ma.length; j++) {
                    assertThat(mb[j]).as(linear).isCloseTo(ma[j], org.assertj.core.api.Assertions.within(1e-5f * (1 + ma[j])));
                }
            }
        }
    }

    @Test
    void slicesHoldWholeLayersWithinTheByteBudget(@TempDir Path dir) throws Exception {
        Files.copy(Path.of("scripts/gpu/config-opt-2.7b.json"), dir.resolve("config.json"));
        Blip2Config.OptConfig opt27 = Blip2Config.read(dir).text();
        // 4 B x (4 D^2 + 2 D F) = 314.6 MB per OPT-2.7b layer: six per 2 GiB slice
        assertThat(Calibrator.slices(opt27, Calibrator.DEFAULT_SLICE_BYTES))
                .extracting(s -> s[1] - s[0]).containsExactly(6, 6, 6, 6, 6, 2);
        assertThat(Calibrator.slices(opt27, 1)).hasSize(32);
        assertThat(Calibrator.slices(opt27, Long.MAX_VALUE)).singleElement().satisfies(s -> assertThat(s).containsExactly(0, 32));
    }

    @Test
    void samplesShareAMemoryBudget() {
        // OPT-2.7b, scope llm: 32 layers x (2560 q/k/v + 2560 out_proj + 2560 fc1 + 10240 fc2) input channels
        long opt27 = 32L * (3 * 2560 + 10240);
        assertThat(Calibrator.sampleRows(8192, Calibrator.DEFAULT_SAMPLE_BYTES, opt27)).isEqualTo(936);
        assertThat(Calibrator.sampleRows(512, Calibrator.DEFAULT_SAMPLE_BYTES, opt27)).isEqualTo(512);
        assertThat(Calibrator.sampleRows(8192, 1, opt27)).isEqualTo(1);
    }
}
