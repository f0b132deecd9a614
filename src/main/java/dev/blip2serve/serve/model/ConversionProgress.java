package dev.blip2serve.serve.model;

import dev.blip2serve.convert.ProgressListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs a conversion's progress at each step and every quarter of it (the converter reports every chunk it
 * writes, far too often for a log) and shows it as the LOADING variant's detail in {@code /v1/models}.
 */
final class ConversionProgress implements ProgressListener {

    private static final Logger LOG = LoggerFactory.getLogger(ConversionProgress.class);

    private final Variant variant;
    private String step = "";
    private int quarter = -1;

    ConversionProgress(Variant variant) {
        this.variant = variant;
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
        String text = "building from the bundled checkpoint: " + step + " " + percent + "%";
        variant.loading(text);
        LOG.info("{}: {}", variant.key(), text);
    }
}
