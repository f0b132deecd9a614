package dev.blip2serve.eval.metrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ROUGE-L as pycocoevalcap computes it ({@code rouge.py}).
 *
 * <p>For each item: the longest common subsequence (LCS) of the candidate with every reference gives a
 * precision {@code lcs / |candidate|} and a recall {@code lcs / |reference|}; the maximum precision and the
 * maximum recall are taken separately (possibly from different references) and combined into
 * {@code F = (1 + beta^2) P R / (R + beta^2 P)} with beta 1.2, or 0 when either is 0. The corpus value is
 * the mean over items.
 *
 * <p>pycocoevalcap splits on single spaces, so an empty caption counts as one empty token; this class does
 * the same, which only matters when an empty candidate meets an empty reference (score 1).
 */
public final class RougeL {

    private final double beta;

    /** ROUGE-L with pycocoevalcap's beta of 1.2. */
    public RougeL() {
        this(1.2);
    }

    /** ROUGE-L with a custom recall weight. */
    public RougeL(double beta) {
        if (!(beta > 0)) {
            throw new IllegalArgumentException("beta must be positive: " + beta);
        }
        this.beta = beta;
    }

    /** Scores raw captions after {@link PtbTokenizer} normalisation. */
    public Score score(Map<String, ? extends List<String>> references, Map<String, String> candidates) {
        return score(TokenizedCaptions.ptb(references, candidates));
    }

    /** Scores a tokenised set. */
    public Score score(TokenizedCaptions set) {
        Map<String, Double> perItem = new LinkedHashMap<>();
        set.references().forEach((id, refs) -> perItem.put(id, item(set.candidates().get(id), refs)));
        return Score.ofMean(perItem);
    }

    /** ROUGE-L of one candidate against its references. */
    public double item(List<String> candidate, List<List<String>> references) {
        List<String> cand = asSplit(candidate);
        double bestPrecision = 0;
        double bestRecall = 0;
        for (List<String> reference : references) {
            List<String> ref = asSplit(reference);
            int lcs = lcsLength(ref, cand);
            bestPrecision = Math.max(bestPrecision, lcs / (double) cand.size());
            bestRecall = Math.max(bestRecall, lcs / (double) ref.size());
        }
        if (bestPrecision == 0 || bestRecall == 0) {
            return 0.0;
        }
        double b2 = beta * beta;
        return (1 + b2) * bestPrecision * bestRecall / (bestRecall + b2 * bestPrecision);
    }

    static int lcsLength(List<String> a, List<String> b) {
        int[] previous = new int[b.size() + 1];
        int[] current = new int[b.size() + 1];
        for (String x : a) {
            for (int j = 1; j <= b.size(); j++) {
                current[j] = x.equals(b.get(j - 1)) ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.size()];
    }

    /** Python's {@code "".split(" ")} is {@code [""]}: keep that so lengths never reach 0. */
    private static List<String> asSplit(List<String> tokens) {
        return tokens.isEmpty() ? List.of("") : tokens;
    }
}
