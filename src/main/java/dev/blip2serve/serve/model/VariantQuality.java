package dev.blip2serve.serve.model;

import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.eval.EvalDataset;
import dev.blip2serve.eval.EvalRunner;
import dev.blip2serve.eval.metrics.CaptionScores;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.runtime.OrtOptions;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Scores a variant folder's captions on an eval set as the CLI's {@code eval} does (greedy, 24 new tokens, the same
 * CIDEr-D, BLEU-4 and ROUGE-L), captions only: the set's questions are skipped, which halves the time. The result
 * goes into the manifest's {@code quality} under the set's name, with {@code [:N]} when only its first N items were
 * scored.
 */
final class VariantQuality {

    /** As {@code eval}'s default caption length, so the numbers equal the CLI's. */
    static final int CAPTION_TOKENS = 24;

    /**
     * @param label the name the scores are filed under in the manifest, e.g. {@code shapes-blip2/eval} or
     *              {@code shapes-blip2/eval[:16]}
     * @param data  the items scored, without their questions
     */
    record EvalSet(String label, EvalDataset data) {

        /** The first {@code limit} items of {@code file} (0 = all), filed under {@code name}. */
        static EvalSet read(String name, Path file, int limit) {
            EvalDataset all = EvalDataset.read(file, 0);
            EvalDataset used = EvalDataset.read(file, limit);
            String label = used.items().size() < all.items().size() ? name + "[:" + used.items().size() + "]" : name;
            return new EvalSet(label, new EvalDataset(used.name(), used.file(), used.items().stream()
                    .map(i -> new EvalDataset.Item(i.id(), i.image(), i.references(), null, null)).toList()));
        }

        int size() {
            return data.items().size();
        }
    }

    private VariantQuality() {
    }

    /** Captions the set with the variant in {@code dir} (not verified: the caller just wrote it, or verified it). */
    static Map<String, Double> measure(Path dir, EvalSet set, OrtOptions options, IntConsumer progress) {
        try (Blip2Model model = Blip2Model.open(dir, options, false)) {
            EvalRunner.Report r = EvalRunner.run(model, set.data(), model.defaultParams(CAPTION_TOKENS),
                    model.defaultParams(CAPTION_TOKENS), progress);
            CaptionScores m = r.metrics();
            Map<String, Double> scores = new LinkedHashMap<>();
            scores.put("cider_d", m.ciderD().corpus());
            scores.put("bleu_4", m.bleu(4));
            scores.put("rouge_l", m.rougeL().corpus());
            return scores;
        }
    }

    /** {@code m} with {@code scores} filed under {@code label} (other sets' scores kept). */
    static Manifest withQuality(Manifest m, String label, Map<String, Double> scores) {
        Map<String, Map<String, Double>> quality = new LinkedHashMap<>(m.quality() == null ? Map.of() : m.quality());
        quality.put(label, new LinkedHashMap<>(scores));
        return new Manifest(m.schema(), m.model(), m.precision(), m.preset(), m.source(), m.method(), m.calibration(),
                m.components(), m.files(), m.createdAt(), m.toolVersion(), quality, m.latency());
    }

    /** True when the manifest already holds scores for {@code label}. */
    static boolean hasQuality(Manifest m, String label) {
        return m.quality() != null && m.quality().containsKey(label);
    }
}
