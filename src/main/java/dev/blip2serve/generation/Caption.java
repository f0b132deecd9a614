package dev.blip2serve.generation;

/**
 * One generated sequence.
 *
 * @param tokens  new tokens, without the EOS that ended them
 * @param logprob sum of the log-probabilities of the chosen tokens (EOS included when it was chosen)
 * @param score   the ranking score: logprob for greedy, HF's length-normalized beam score for beams
 */
public record Caption(long[] tokens, double logprob, double score) {
}
