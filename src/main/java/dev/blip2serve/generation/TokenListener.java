package dev.blip2serve.generation;

/**
 * Hears each new token as greedy search picks it (for streaming). Beam search does not call it: a beam's
 * tokens are not final until the search ends.
 */
@FunctionalInterface
public interface TokenListener {

    /** Hears nothing. */
    TokenListener NONE = (item, token) -> {
    };

    /**
     * @param item  the prompt's index in the batch
     * @param token the new token (EOS is never passed; the caption ends without a call)
     */
    void onToken(int item, long token);
}
