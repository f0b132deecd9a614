package dev.blip2serve.generation;

/**
 * Hears each new token as greedy search picks it (for streaming), and may ask a running search to stop. Beam
 * search does not tell tokens: a beam's tokens are not final until the search ends.
 */
@FunctionalInterface
public interface TokenListener {

    /** Hears nothing and never stops a search. */
    TokenListener NONE = (item, token) -> {
    };

    /**
     * @param item  the prompt's index in the batch
     * @param token the new token (EOS is never passed; the caption ends without a call)
     */
    void onToken(int item, long token);

    /**
     * Asked before every decoder pass, greedy and beam: true stops the search with
     * {@link GenerationStoppedException} (nobody waits for the result any more, e.g. every request of a batch gave
     * up). The default never stops.
     */
    default boolean stopRequested() {
        return false;
    }
}
