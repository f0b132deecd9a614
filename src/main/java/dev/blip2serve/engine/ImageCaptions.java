package dev.blip2serve.engine;

import java.util.List;

/**
 * The n-best captions of one image.
 *
 * @param promptTokens tokens of the prompt, BOS included
 */
public record ImageCaptions(List<CaptionText> captions, int promptTokens) {

    public CaptionText best() {
        return captions.getFirst();
    }
}
