package dev.blip2serve.engine;

/**
 * One caption.
 *
 * @param tokens  new token ids, without EOS
 * @param logprob sum of the chosen tokens' log-probabilities
 * @param score   the ranking score (logprob for greedy; length-normalized for beams)
 */
public record CaptionText(String text, long[] tokens, double logprob, double score) {
}
