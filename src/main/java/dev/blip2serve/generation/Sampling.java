package dev.blip2serve.generation;

/**
 * Picking each new token at random from the model's distribution instead of its most likely one (HF's
 * {@code do_sample} with {@code temperature} and {@code top_p}). Each row draws from its own generator seeded with
 * {@code seed}, so a prompt and image give the same tokens whatever else shares the batch.
 *
 * @param temperature divides the logits before the softmax; positive (0 means greedy: use no sampling instead)
 * @param topP        nucleus: draw only from the smallest set of most likely tokens whose probability reaches it;
 *                    (0, 1], 1 = the whole vocabulary
 * @param seed        seeds each row's generator
 */
public record Sampling(double temperature, double topP, long seed) {

    public Sampling {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a positive finite number, got " + temperature);
        }
        if (!(topP > 0) || topP > 1) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
    }
}
