package dev.blip2serve.eval.metrics;

/**
 * All metrics of one evaluation run.
 *
 * @param ciderD CIDEr-D (pycocoevalcap's "CIDEr")
 * @param bleu BLEU-1 .. BLEU-4
 * @param rougeL ROUGE-L
 * @param exactMatch fraction of candidates equal to a reference after tokenisation
 * @param qaAccuracy answer accuracy, or {@code null} when no answers were scored
 */
public record CaptionMetricsReport(Score ciderD, BleuScores bleu, Score rougeL, Score exactMatch, Score qaAccuracy) {

    /** Corpus BLEU-{@code n}. */
    public double bleu(int n) {
        return bleu.corpus(n);
    }

    /** Whether {@link #qaAccuracy()} was computed. */
    public boolean hasQaAccuracy() {
        return qaAccuracy != null;
    }
}
