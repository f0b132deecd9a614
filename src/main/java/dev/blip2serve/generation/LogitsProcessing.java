package dev.blip2serve.generation;

/** HF's logits processors that captioning uses, applied in HF's order, in place. */
final class LogitsProcessing {

    private LogitsProcessing() {
    }

    /**
     * @param seen        tokens already in this row's sequence (prompt and generated; -1 entries ignored)
     * @param generated   new tokens so far in this row
     */
    static void apply(float[] logits, long[] seen, int generated, GenerationParams p) {
        if (p.repetitionPenalty() != 1.0) {
            float penalty = (float) p.repetitionPenalty();
            boolean[] done = new boolean[logits.length];
            for (long t : seen) {
                if (t >= 0 && t < logits.length && !done[(int) t]) {
                    int i = (int) t;
                    done[i] = true;
                    logits[i] = logits[i] < 0 ? logits[i] * penalty : logits[i] / penalty;
                }
            }
        }
        if (generated < p.minNewTokens()) {
            for (int e : p.eosTokenIds()) {
                if (e >= 0 && e < logits.length) {
                    logits[e] = Float.NEGATIVE_INFINITY;
                }
            }
        }
    }

    /** log_softmax in double, returned as float like torch's float32 log_softmax. */
    static float[] logSoftmax(float[] logits) {
        double lse = logSumExp(logits);
        float[] out = new float[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = (float) (logits[i] - lse);
        }
        return out;
    }

    /** {@code logSoftmax(logits)[token]}, the same float, without a vocabulary-sized array per token. */
    static float logProb(float[] logits, int token) {
        return (float) (logits[token] - logSumExp(logits));
    }

    static double logSumExp(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        return max + Math.log(sum);
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
