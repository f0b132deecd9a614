package dev.blip2serve.eval.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * All metrics of one evaluation run.
 *
 * @param ciderD CIDEr-D (pycocoevalcap's "CIDEr")
 * @param bleu BLEU-1 .. BLEU-4
 * @param rougeL ROUGE-L
 * @param exactMatch fraction of candidates equal to a reference after tokenisation
 * @param qaAccuracy answer accuracy, or {@code null} when no answers were scored
 */
public record CaptionScores(Score ciderD, BleuScores bleu, Score rougeL, Score exactMatch, Score qaAccuracy) {

    /** Corpus BLEU-{@code n}. */
    public double bleu(int n) {
        return bleu.corpus(n);
    }

    /** Whether {@link #qaAccuracy()} was computed. */
    public boolean hasQaAccuracy() {
        return qaAccuracy != null;
    }

    /**
     * The corpus scores under the keys every report uses ({@code eval}, {@code reproduce}), in that order:
     * {@code cider_d, bleu_1 .. bleu_4, rouge_l, exact_match, qa_accuracy}; {@code qa_accuracy} is {@code null} when no
     * answers were scored. The one place that names a metric in JSON.
     */
    public Map<String, Double> corpusByKey() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(CIDER_D, ciderD.corpus());
        for (int n = 1; n <= 4; n++) {
            m.put("bleu_" + n, bleu(n));
        }
        m.put("rouge_l", rougeL.corpus());
        m.put("exact_match", exactMatch.corpus());
        m.put("qa_accuracy", hasQaAccuracy() ? qaAccuracy.corpus() : null);
        return m;
    }

    /** The key of CIDEr-D in {@link #corpusByKey()}; reports put SPICE right after it. */
    public static final String CIDER_D = "cider_d";
}
