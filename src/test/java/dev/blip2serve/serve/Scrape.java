package dev.blip2serve.serve;

import java.util.List;
import java.util.regex.Pattern;

/** Reads values out of a Prometheus text scrape (also for the container tests in dev.blip2serve.deploy). */
public final class Scrape {

    private Scrape() {
    }

    /** The lines of {@code metric} (exact name, with labels) that carry every one of {@code labels}. */
    public static List<String> lines(String scrape, String metric, String... labels) {
        Pattern start = Pattern.compile("^" + Pattern.quote(metric) + "\\{");
        return scrape.lines().filter(l -> start.matcher(l).find())
                .filter(l -> List.of(labels).stream().allMatch(l::contains)).toList();
    }

    /** The value of the one line of {@code metric} with {@code labels}; NaN if there is none. */
    public static double value(String scrape, String metric, String... labels) {
        List<String> found = lines(scrape, metric, labels);
        if (found.isEmpty()) {
            return Double.NaN;
        }
        if (found.size() > 1) {
            throw new AssertionError("more than one line of " + metric + " with " + List.of(labels) + ": " + found);
        }
        String line = found.getFirst();
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    /** Batches of more than one request so far: the batch-size count minus the batches in the le="1" bucket. */
    static double batchesLargerThanOne(String scrape, String model, String precision) {
        String m = "model=\"" + model + "\"";
        String p = "precision=\"" + precision + "\"";
        double count = value(scrape, "blip2_batch_size_count", m, p);
        double single = value(scrape, "blip2_batch_size_bucket", m, p, "le=\"1.0\"");
        return (Double.isNaN(count) ? 0 : count) - (Double.isNaN(single) ? 0 : single);
    }
}
