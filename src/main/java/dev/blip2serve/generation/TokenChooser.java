package dev.blip2serve.generation;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks one row's next token from its processed logits: the most likely one, or a draw (temperature, then top-p,
 * as HF's warpers) from the row's own seeded generator; and, when asked, the step's log-probabilities.
 */
final class TokenChooser {

    private final Sampling sampling;
    private final SplittableRandom random;

    TokenChooser(Sampling sampling) {
        this.sampling = sampling;
        this.random = sampling == null ? null : new SplittableRandom(sampling.seed());
    }

    int choose(float[] logits) {
        return sampling == null ? LogitsProcessing.argmax(logits) : draw(logits);
    }

    private int draw(float[] logits) {
        int vocab = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] weights = new double[vocab];
        double total = 0;
        for (int i = 0; i < vocab; i++) {
            weights[i] = Math.exp((logits[i] - max) / sampling.temperature());
            total += weights[i];
        }
        if (sampling.topP() >= 1.0) {
            return pick(weights, null, vocab, total);
        }
        // Most likely first; keep the smallest prefix whose probability reaches top_p (at least one token).
        Integer[] order = new Integer[vocab];
        for (int i = 0; i < vocab; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(weights[b], weights[a]));
        int kept = 0;
        double mass = 0;
        while (kept < vocab && (kept == 0 || mass < sampling.topP() * total)) {
            mass += weights[order[kept++]];
        }
        return pick(weights, order, kept, mass);
    }

    /** A draw among the first {@code count} tokens of {@code order} (all tokens when null), by weight. */
    private int pick(double[] weights, Integer[] order, int count, double mass) {
        double u = random.nextDouble() * mass;
        int last = 0;
        for (int k = 0; k < count; k++) {
            int token = order == null ? k : order[k];
            if (weights[token] == 0) {
                continue;
            }
            last = token;
            u -= weights[token];
            if (u < 0) {
                return token;
            }
        }
        return last; // rounding left a sliver: the last token with weight
    }

    /** The chosen token's log-probability and the {@code top} most likely tokens' (ties: lower id first). */
    static TokenLogprob logprobs(float[] logits, int chosen, int top) {
        double lse = LogitsProcessing.logSumExp(logits);
        long[] tokens = new long[top];
        double[] values = new double[top];
        int size = 0;
        for (int i = 0; i < logits.length; i++) {
            double v = logits[i];
            if (size == top && (top == 0 || v <= values[size - 1])) {
                continue;
            }
            int j = size == top ? size - 1 : size++;
            while (j > 0 && values[j - 1] < v) {
                values[j] = values[j - 1];
                tokens[j] = tokens[j - 1];
                j--;
            }
            values[j] = v;
            tokens[j] = i;
        }
        for (int k = 0; k < size; k++) {
            values[k] = (float) (values[k] - lse);
        }
        return new TokenLogprob(chosen, (float) (logits[chosen] - lse), tokens, values);
    }
}
