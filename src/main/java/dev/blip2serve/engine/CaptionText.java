package dev.blip2serve.engine;

/**
 * One caption.
 *
 * @param tokens  new token ids, without EOS
 * @param logprob sum of the chosen tokens' log-probabilities
 * @param score   the ranking score (logprob for greedy; length-normalized for beams)
 * @param steps   per new token, its log-probability and alternatives when they were asked for, else empty
 */
public record CaptionText(String text, long[] tokens, double logprob, double score,
                          java.util.List<dev.blip2serve.generation.TokenLogprob> steps) {

    /** A caption without per-token log-probabilities. */
    public CaptionText(String text, long[] tokens, double logprob, double score) {
        this(text, tokens, logprob, score, java.util.List.of());
    }
}
