package dev.blip2serve.eval.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CIDEr-D as pycocoevalcap's {@code Cider} computes it ({@code cider_scorer.py}, which is the CIDEr-D
 * variant).
 *
 * <p>For n = 1..4, every caption becomes a TF-IDF vector over its n-grams: term frequency times
 * {@code log(N) - log(max(1, df))}, where N is the number of items in the evaluated set and df the number of
 * items whose references contain the n-gram. Document frequencies therefore come from the references of
 * the set being scored, so an item's score depends on the rest of the set (a set of one item always
 * scores 0). The similarity of candidate and reference is {@code sum(min(c, r) * r) / (|c| |r|)} (the
 * "D" clipping), times a Gaussian length penalty {@code exp(-delta^2 / (2 sigma^2))} with sigma 6, where delta
 * is the difference of the two captions' bigram counts (pycocoevalcap's "length"). The item score is the
 * mean over n of the similarity averaged over the references, times 10; the corpus score is the mean over
 * items. A zero vector (an empty candidate, or n-grams with df = N only) contributes 0.
 */
public final class CiderD {

    private static final int MAX_ORDER = 4;

    private final double sigma;

    /** CIDEr-D with pycocoevalcap's sigma of 6. */
    public CiderD() {
        this(6.0);
    }

    /** CIDEr-D with a custom length-penalty width. */
    public CiderD(double sigma) {
        if (!(sigma > 0)) {
            throw new IllegalArgumentException("sigma must be positive: " + sigma);
        }
        this.sigma = sigma;
    }

    /** Scores raw captions after {@link PtbTokenizer} normalisation. */
    public Score score(Map<String, ? extends List<String>> references, Map<String, String> candidates) {
        return score(TokenizedCaptions.ptb(references, candidates));
    }

    /** Scores a tokenised set. */
    public Score score(TokenizedCaptions set) {
        Map<String, List<Map<List<String>, Integer>>> refCounts = new LinkedHashMap<>();
        Map<List<String>, Integer> documentFrequency = new HashMap<>();
        for (var entry : set.references().entrySet()) {
            List<Map<List<String>, Integer>> counts = new ArrayList<>();
            Set<List<String>> seen = new HashSet<>();
            for (List<String> ref : entry.getValue()) {
                Map<List<String>, Integer> c = NGrams.count(ref, MAX_ORDER);
                counts.add(c);
                seen.addAll(c.keySet());
            }
            seen.forEach(gram -> documentFrequency.merge(gram, 1, Integer::sum));
            refCounts.put(entry.getKey(), counts);
        }
        double logItems = Math.log(set.size());

        Map<String, Double> perItem = new LinkedHashMap<>();
        for (var entry : refCounts.entrySet()) {
            TfIdf candidate = TfIdf.of(NGrams.count(set.candidates().get(entry.getKey()), MAX_ORDER),
                    documentFrequency, logItems);
            double[] sum = new double[MAX_ORDER];
            for (Map<List<String>, Integer> ref : entry.getValue()) {
                TfIdf reference = TfIdf.of(ref, documentFrequency, logItems);
                double[] sim = similarity(candidate, reference);
                for (int n = 0; n < MAX_ORDER; n++) {
                    sum[n] += sim[n];
                }
            }
            double mean = 0;
            for (double s : sum) {
                mean += s;
            }
            mean /= MAX_ORDER;
            perItem.put(entry.getKey(), mean / entry.getValue().size() * 10.0);
        }
        return Score.ofMean(perItem);
    }

    private double[] similarity(TfIdf candidate, TfIdf reference) {
        double delta = candidate.length - reference.length;
        double penalty = Math.exp(-(delta * delta) / (2 * sigma * sigma));
        double[] val = new double[MAX_ORDER];
        for (int n = 0; n < MAX_ORDER; n++) {
            Map<List<String>, Double> ref = reference.vectors.get(n);
            double dot = 0;
            for (var term : candidate.vectors.get(n).entrySet()) {
                double r = ref.getOrDefault(term.getKey(), 0.0);
                dot += Math.min(term.getValue(), r) * r;
            }
            if (candidate.norms[n] != 0 && reference.norms[n] != 0) {
                dot /= candidate.norms[n] * reference.norms[n];
            }
            val[n] = dot * penalty;
        }
        return val;
    }

    /** TF-IDF vectors per order, their norms, and the bigram count pycocoevalcap uses as length. */
    private record TfIdf(List<Map<List<String>, Double>> vectors, double[] norms, int length) {

        static TfIdf of(Map<List<String>, Integer> counts, Map<List<String>, Integer> documentFrequency,
                double logItems) {
            List<Map<List<String>, Double>> vectors = new ArrayList<>();
            for (int n = 0; n < MAX_ORDER; n++) {
                vectors.add(new HashMap<>());
            }
            double[] squares = new double[MAX_ORDER];
            int length = 0;
            for (var entry : counts.entrySet()) {
                int n = entry.getKey().size() - 1;
                double df = Math.log(Math.max(1.0, documentFrequency.getOrDefault(entry.getKey(), 0)));
                double weight = entry.getValue() * (logItems - df);
                vectors.get(n).put(entry.getKey(), weight);
                squares[n] += weight * weight;
                // pycocoevalcap counts bigrams here (index 1), not words; kept for identical penalties.
                if (n == 1) {
                    length += entry.getValue();
                }
            }
            double[] norms = new double[MAX_ORDER];
            for (int n = 0; n < MAX_ORDER; n++) {
                norms[n] = Math.sqrt(squares[n]);
            }
            return new TfIdf(vectors, norms, length);
        }
    }
}
