package dev.blip2serve.engine;

import java.util.List;

/** Captions for a batch of images and where the time went. */
public record CaptionBatch(List<ImageCaptions> images, long visionNanos, long prefillNanos, long decodeNanos, int decodeSteps) {
}
