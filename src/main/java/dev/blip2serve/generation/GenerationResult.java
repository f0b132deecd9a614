package dev.blip2serve.generation;

import java.util.List;

/**
 * Captions per item with where the time went.
 *
 * @param decodeSteps forward passes after the prefill
 */
public record GenerationResult(List<List<Caption>> captions, long prefillNanos, long decodeNanos, int decodeSteps) {
}
