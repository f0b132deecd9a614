package dev.blip2serve.quantize.calibration;

import java.util.Map;

/**
 * What calibration measured: statistics per tapped tensor and which tensor each linear reads.
 *
 * @param set   the calibration set
 * @param taps  linear name -> tap output name
 * @param stats tap output name -> statistics
 * @param sampleRows most rows each tapped tensor's sample could keep (the requested rows, or fewer to fit memory)
 */
public record CalibrationResult(CalibrationSet set, Map<String, String> taps, Map<String, ActivationStats> stats,
                                int sampleRows) {

    public CalibrationResult {
        taps = Map.copyOf(taps);
        stats = Map.copyOf(stats);
    }

    /** Statistics of the input of {@code linear}. */
    public ActivationStats of(String linear) {
        String tap = taps.get(linear);
        if (tap == null) {
            throw new IllegalArgumentException("no calibration statistics for " + linear);
        }
        return stats.get(tap);
    }
}
