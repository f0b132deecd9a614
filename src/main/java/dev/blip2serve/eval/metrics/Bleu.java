package dev.blip2serve.eval.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * BLEU as pycocoevalcap computes it ({@code bleu_scorer.py}, option {@code "closest"}).
 *
 * <ul>
 *   <li>Candidate n-gram counts are clipped by their maximum count in any single reference of the item.</li>
 *   <li>The effective reference length of an item is the reference length closest to the candidate length,
 *       the shorter one on a tie.</li>
 *   <li>Corpus BLEU sums clipped matches, candidate n-grams, candidate and reference lengths over all items
 *       and applies one brevity penalty; it is not the mean of the item values.</li>
 *   <li>Per-item BLEU applies the same formula to one item. As in pycocoevalcap, precisions are
 *       {@code (matches + 1e-15) / (guesses + 1e-9)} (no smoothing beyond that), so an item with no matching
 *       4-gram gets a BLEU-4 near 0 but not exactly 0, and an empty candidate gets 0.</li>
 * </ul>
 */
public final class Bleu {

    private static final double TINY = 1e-15;
    private static final double SMALL = 1e-9;

    private final int maxOrder;

    /** BLEU-1 .. BLEU-4. */
    public Bleu() {
        this(4);
    }

    /** BLEU-1 .. BLEU-{@code maxOrder}. */
    public Bleu(int maxOrder) {
        if (maxOrder < 1) {
            throw new IllegalArgumentException("maxOrder must be positive: " + maxOrder);
        }
        this.maxOrder = maxOrder;
    }

    /** Scores raw captions after {@link PtbTokenizer} normalisation. */
    public BleuScores score(Map<String, ? extends List<String>> references, Map<String, String> candidates) {
        return score(TokenizedCaptions.ptb(references, candidates));
    }

    /** Scores a tokenised set. */
    public BleuScores score(TokenizedCaptions set) {
        long[] totalGuess = new long[maxOrder];
        long[] totalCorrect = new long[maxOrder];
        long totalTestLength = 0;
        long totalRefLength = 0;
        List<Map<String, Double>> perItem = new ArrayList<>();
        for (int k = 0; k < maxOrder; k++) {
            perItem.add(new LinkedHashMap<>());
        }
        for (var entry : set.references().entrySet()) {
            Stats stats = stats(set.candidates().get(entry.getKey()), entry.getValue());
            totalTestLength += stats.testLength;
            totalRefLength += stats.refLength;
            for (int k = 0; k < maxOrder; k++) {
                totalGuess[k] += stats.guess[k];
                totalCorrect[k] += stats.correct[k];
            }
            double[] itemBleu = bleu(stats.correct, stats.guess, stats.testLength, stats.refLength);
            for (int k = 0; k < maxOrder; k++) {
                perItem.get(k).put(entry.getKey(), itemBleu[k]);
            }
        }
        double[] corpus = bleu(totalCorrect, totalGuess, totalTestLength, totalRefLength);
        List<Score> orders = new ArrayList<>();
        for (int k = 0; k < maxOrder; k++) {
            orders.add(new Score(corpus[k], perItem.get(k)));
        }
        return new BleuScores(orders);
    }

    /** Cumulative BLEU-1..n from (clipped) match and guess counts, with the brevity penalty. */
    private double[] bleu(long[] correct, long[] guess, long testLength, long refLength) {
        double[] out = new double[maxOrder];
        double product = 1.0;
        for (int k = 0; k < maxOrder; k++) {
            product *= (correct[k] + TINY) / (guess[k] + SMALL);
            out[k] = Math.pow(product, 1.0 / (k + 1));
        }
        double ratio = (testLength + TINY) / (refLength + SMALL);
        if (ratio < 1) {
            double penalty = Math.exp(1 - 1 / ratio);
            for (int k = 0; k < maxOrder; k++) {
                out[k] *= penalty;
            }
        }
        return out;
    }

    private Stats stats(List<String> candidate, List<List<String>> references) {
        Map<List<String>, Integer> maxRefCounts = new HashMap<>();
        for (List<String> ref : references) {
            NGrams.count(ref, maxOrder).forEach((gram, count) -> maxRefCounts.merge(gram, count, Math::max));
        }
        int testLength = candidate.size();
        int refLength = closestLength(references, testLength);
        long[] guess = new long[maxOrder];
        long[] correct = new long[maxOrder];
        for (int k = 0; k < maxOrder; k++) {
            guess[k] = Math.max(0, testLength - k);
        }
        NGrams.count(candidate, maxOrder).forEach((gram, count) ->
                correct[gram.size() - 1] += Math.min(count, maxRefCounts.getOrDefault(gram, 0)));
        return new Stats(testLength, refLength, guess, correct);
    }

    /** The reference length closest to the candidate's; the shorter one on a tie (Python's tuple min). */
    private static int closestLength(List<List<String>> references, int testLength) {
        int best = -1;
        for (List<String> ref : references) {
            int length = ref.size();
            int distance = Math.abs(length - testLength);
            int bestDistance = best < 0 ? Integer.MAX_VALUE : Math.abs(best - testLength);
            if (distance < bestDistance || (distance == bestDistance && length < best)) {
                best = length;
            }
        }
        return best;
    }

    private record Stats(int testLength, int refLength, long[] guess, long[] correct) {
    }
}
