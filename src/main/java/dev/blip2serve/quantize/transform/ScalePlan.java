package dev.blip2serve.quantize.transform;

import java.util.List;
import java.util.Map;

/**
 * The outcome of the scale searches: per-group scales, per-linear clipping, and a record of every search for
 * the manifest.
 *
 * @param scales   group id -> {@code s [K]}
 * @param clips    linear name -> clipping bounds
 * @param searches one entry per group (and clipped linear), JSON-ready
 */
public record ScalePlan(Map<String, float[]> scales, Map<String, ScaledWeights.Clip> clips,
                        List<Map<String, Object>> searches) {

    public ScalePlan {
        scales = Map.copyOf(scales);
        clips = Map.copyOf(clips);
        searches = List.copyOf(searches);
    }

    /** No scales at all (RTN). */
    public static ScalePlan none() {
        return new ScalePlan(Map.of(), Map.of(), List.of());
    }

    public boolean isEmpty() {
        return scales.isEmpty() && clips.isEmpty();
    }
}
