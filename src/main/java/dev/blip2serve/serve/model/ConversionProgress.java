package dev.blip2serve.serve.model;

import dev.blip2serve.convert.ProgressListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs a conversion's (or quantization's) progress at each step and every quarter of it (the converter reports
 * every chunk it writes, far too often for a log) and shows it as the variant's detail in {@code /v1/models}: a
 * LOADING variant's while the bundled checkpoint converts at start-up, a BUILDING one's in the background.
 */
final class ConversionProgress implements ProgressListener {

    private static final Logger LOG = LoggerFactory.getLogger(ConversionProgress.class);

    private final Variant variant;
    private final String activity;
    private final boolean background;
    private String step = "";
    private int quarter = -1;

    ConversionProgress(Variant variant) {
        this(variant, "building from the bundled checkpoint", false);
    }

    /**
     * @param activity   what the detail says before the step, e.g. {@code quantizing (w8a8)}
     * @param background the variant is BUILDING (else LOADING)
     */
    ConversionProgress(Variant variant, String activity, boolean background) {
        this.variant = variant;
        this.activity = activity;
        this.background = background;
    }

    @Override
    public synchronized void progress(String step, long done, long total) {
        int percent = total <= 0 ? 100 : (int) Math.min(100, done * 100 / total);
        int q = percent / 25;
        if (step.equals(this.step) && q == quarter) {
            return;
        }
        this.step = step;
        this.quarter = q;
        String text = activity + ": " + step + " " + percent + "%";
        if (background) {
            variant.building(text);
        } else {
            variant.loading(text);
        }
        LOG.info("{}: {}", variant.key(), text);
    }
}
