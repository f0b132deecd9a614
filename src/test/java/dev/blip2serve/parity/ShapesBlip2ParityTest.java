package dev.blip2serve.parity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.blip2.WeightPrecision;
import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.eval.EvalDataset;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.runtime.OrtOptions;
import dev.blip2serve.testing.Fixtures;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The trained shapes-blip2 captioner end to end (PNG bytes -> preprocessing -> graphs -> greedy text)
 * against the captions and answers HF transformers produced in float32 on all 300 eval images.
 */
class ShapesBlip2ParityTest {

    record Agreement(int captions, int answers, List<String> captionMisses) {
    }

    static Agreement agreement(WeightPrecision precision) throws Exception {
        EvalDataset data = EvalDataset.read(Fixtures.SHAPES_EVAL, 0);
        JsonNode items = Fixtures.json(Fixtures.SHAPES_EVAL).get("items");
        int captions = 0;
        int answers = 0;
        List<String> misses = new ArrayList<>();
        try (Blip2Model m = Blip2Model.open(Fixtures.variant(Fixtures.SHAPES, precision), OrtOptions.cpu(), true)) {
            GenerationParams captionParams = m.defaultParams(24);
            GenerationParams answerParams = m.defaultParams(4);
            for (int i = 0; i < data.items().size(); i++) {
                EvalDataset.Item item = data.items().get(i);
                float[] pixels = m.preprocessor().preprocess(Files.readAllBytes(item.image()));
                String caption = m.caption(List.of(pixels), List.of(""), captionParams).images().getFirst().best().text();
                String answer = m.caption(List.of(pixels), List.of(item.question()), answerParams).images().getFirst().best().text();
                String expectedCaption = items.get(i).get("hf_greedy_caption").asString();
                if (caption.equals(expectedCaption)) {
                    captions++;
                } else {
                    misses.add(item.id() + ": '" + caption + "' vs HF '" + expectedCaption + "'");
                }
                if (answer.equals(items.get(i).get("hf_greedy_answer").asString())) {
                    answers++;
                }
            }
        }
        return new Agreement(captions, answers, misses);
    }

    @Test
    void fp32CaptionsAndAnswersEqualHf() throws Exception {
        Agreement a = agreement(WeightPrecision.FP32);
        System.out.printf("shapes-blip2 fp32: captions %d/300, answers %d/300 equal to HF%n", a.captions(), a.answers());
        assertThat(a.captions()).as(String.join("\n", a.captionMisses())).isGreaterThanOrEqualTo(299);
        assertThat(a.answers()).isGreaterThanOrEqualTo(297);
    }

    @Test
    void fp16CaptionsEqualHfOnAtLeast290() throws Exception {
        Agreement a = agreement(WeightPrecision.FP16);
        System.out.printf("shapes-blip2 fp16: captions %d/300, answers %d/300 equal to HF%n", a.captions(), a.answers());
        assertThat(a.captions()).as(String.join("\n", a.captionMisses())).isGreaterThanOrEqualTo(290);
    }
}
