package dev.blip2serve.generation;

/**
 * One generated sequence.
 *
 * @param tokens  new tokens, without the EOS that ended them
 * @param logprob sum of the log-probabilities of the chosen tokens (EOS included when it was chosen)
 * @param score   the ranking score: logprob for greedy, HF's length-normalized beam score for beams
 * @param steps   per new token, its log-probability and alternatives when asked for
 *                ({@link GenerationParams#topLogprobs()} ≥ 0), else empty
 */
public record Caption(long[] tokens, double logprob, double score, java.util.List<TokenLogprob> steps) {

    /** A caption without per-token log-probabilities. */
    public Caption(long[] tokens, double logprob, double score) {
        this(tokens, logprob, score, java.util.List.of());
    }
}
