package dev.blip2serve.eval.metrics;

import java.util.List;

/**
 * BLEU-1 .. BLEU-n of one evaluation set.
 *
 * @param orders {@code orders.get(k - 1)} is BLEU-k (cumulative geometric mean of the 1..k-gram precisions)
 */
public record BleuScores(List<Score> orders) {

    public BleuScores {
        orders = List.copyOf(orders);
    }

    /** BLEU-{@code n}, 1-based. */
    public Score order(int n) {
        if (n < 1 || n > orders.size()) {
            throw new IllegalArgumentException("BLEU order " + n + " not in 1.." + orders.size());
        }
        return orders.get(n - 1);
    }

    /** Corpus BLEU-{@code n}. */
    public double corpus(int n) {
        return order(n).corpus();
    }
}
