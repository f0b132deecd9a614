package dev.blip2serve.generation;

/**
 * One new token with its log-probability and the most likely alternatives at its step, all under the model's
 * distribution after the logits processors (repetition penalty, min tokens) and before any sampling temperature.
 *
 * @param token       the chosen token
 * @param logprob     its log-probability
 * @param topTokens   the most likely tokens at this step, most likely first (as many as asked)
 * @param topLogprobs their log-probabilities
 */
public record TokenLogprob(long token, double logprob, long[] topTokens, double[] topLogprobs) {
}
