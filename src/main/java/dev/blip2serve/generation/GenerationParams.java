package dev.blip2serve.generation;

/**
 * How to generate.
 *
 * @param maxNewTokens      upper bound on new tokens (EOS included)
 * @param minNewTokens      EOS is forbidden before this many new tokens
 * @param numBeams          1 = greedy
 * @param numReturn         n-best captions to return (≤ numBeams)
 * @param lengthPenalty     beam score = sum logprob / length^lengthPenalty (HF)
 * @param repetitionPenalty HF's CTRL-style penalty on tokens already in the sequence; 1 = off
 * @param eosTokenIds       tokens that end a caption
 * @param padTokenId        fed to finished rows while others continue
 * @param sampling          draw tokens at random (greedy search only); null picks the most likely token
 * @param topLogprobs       -1: no per-token log-probabilities; 0..k: each new token's log-probability with the k
 *                          most likely alternatives (greedy search only)
 */
public record GenerationParams(int maxNewTokens, int minNewTokens, int numBeams, int numReturn,
                               double lengthPenalty, double repetitionPenalty, int[] eosTokenIds, int padTokenId,
                               Sampling sampling, int topLogprobs) {

    /** Most likely token at each step (or beams), no per-token log-probabilities. */
    public GenerationParams(int maxNewTokens, int minNewTokens, int numBeams, int numReturn, double lengthPenalty,
                            double repetitionPenalty, int[] eosTokenIds, int padTokenId) {
        this(maxNewTokens, minNewTokens, numBeams, numReturn, lengthPenalty, repetitionPenalty, eosTokenIds, padTokenId,
                null, -1);
    }

    public GenerationParams {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max_new_tokens must be at least 1, got " + maxNewTokens);
        }
        if (minNewTokens < 0 || minNewTokens > maxNewTokens) {
            throw new IllegalArgumentException("min_new_tokens must be between 0 and max_new_tokens, got " + minNewTokens);
        }
        if (numBeams < 1) {
            throw new IllegalArgumentException("num_beams must be at least 1, got " + numBeams);
        }
        if (numReturn < 1 || numReturn > numBeams) {
            throw new IllegalArgumentException("num_captions must be between 1 and num_beams, got " + numReturn);
        }
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition_penalty must be a positive number, got " + repetitionPenalty);
        }
        if (Double.isNaN(lengthPenalty) || Double.isInfinite(lengthPenalty)) {
            throw new IllegalArgumentException("length_penalty must be finite");
        }
        if (numBeams > 1 && sampling != null) {
            throw new IllegalArgumentException("sampling works with greedy search only (num_beams 1)");
        }
        if (topLogprobs < -1 || (numBeams > 1 && topLogprobs >= 0)) {
            throw new IllegalArgumentException("per-token log-probabilities are for greedy search only, got top "
                    + topLogprobs + " with " + numBeams + " beams");
        }
        eosTokenIds = eosTokenIds.clone();
    }

    /** These parameters drawing tokens with {@code s} (null: most likely token). */
    public GenerationParams withSampling(Sampling s, int top) {
        return new GenerationParams(maxNewTokens, minNewTokens, numBeams, numReturn, lengthPenalty, repetitionPenalty,
                eosTokenIds, padTokenId, s, top);
    }

    /** Greedy, HF defaults otherwise. */
    public static GenerationParams greedy(int maxNewTokens, int[] eos, int pad) {
        return new GenerationParams(maxNewTokens, 0, 1, 1, 1.0, 1.0, eos, pad);
    }

    public GenerationParams withBeams(int beams) {
        return new GenerationParams(maxNewTokens, minNewTokens, beams, Math.min(numReturn, beams), lengthPenalty,
                repetitionPenalty, eosTokenIds, padTokenId, beams > 1 ? null : sampling, beams > 1 ? -1 : topLogprobs);
    }

    public boolean isEos(long token) {
        for (int e : eosTokenIds) {
            if (e == token) {
                return true;
            }
        }
        return false;
    }
}
