package dev.blip2serve.generation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The n best finished beams of one item, scored {@code sum logprob / length^lengthPenalty} as HF does. */
final class BeamHypotheses {

    private record Hyp(long[] tokens, double logprob, double score) {
    }

    private final int capacity;
    private final double lengthPenalty;
    private final List<Hyp> hyps = new ArrayList<>();

    BeamHypotheses(int capacity, double lengthPenalty) {
        this.capacity = capacity;
        this.lengthPenalty = lengthPenalty;
    }

    /** @param length generated tokens counted for the penalty (EOS included when it ended the beam) */
    void add(long[] tokens, double sumLogprob, int length) {
        double score = sumLogprob / Math.pow(length, lengthPenalty);
        if (hyps.size() < capacity || score > worst()) {
            hyps.add(new Hyp(tokens, sumLogprob, score));
            if (hyps.size() > capacity) {
                hyps.remove(worstIndex());
            }
        }
    }

    /** HF's early_stopping=False rule: no running beam can still beat the worst kept hypothesis. */
    boolean isDone(double bestRunningSum, int length) {
        if (hyps.size() < capacity) {
            return false;
        }
        return worst() >= bestRunningSum / Math.pow(length, lengthPenalty);
    }

    List<Caption> best(int n) {
        List<Hyp> sorted = new ArrayList<>(hyps);
        sorted.sort(Comparator.comparingDouble(Hyp::score).reversed());
        List<Caption> out = new ArrayList<>();
        for (int i = 0; i < Math.min(n, sorted.size()); i++) {
            Hyp h = sorted.get(i);
            out.add(new Caption(h.tokens, h.logprob, h.score));
        }
        return out;
    }

    private double worst() {
        return hyps.get(worstIndex()).score;
    }

    private int worstIndex() {
        int w = 0;
        for (int i = 1; i < hyps.size(); i++) {
            if (hyps.get(i).score < hyps.get(w).score) {
                w = i;
            }
        }
        return w;
    }
}
