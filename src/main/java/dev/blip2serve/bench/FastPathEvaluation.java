package dev.blip2serve.bench;

import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.image.ImageDecoder;
import dev.blip2serve.image.ImagePreprocessor;
import dev.blip2serve.image.TurboJpeg;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * What the optional DCT-scaling fast path changes: per JPEG, the largest and mean absolute difference of its
 * {@code pixel_values} from the exact path's, and, with a model, whether the greedy caption stays the same.
 */
public final class FastPathEvaluation {

    /**
     * @param images          JPEGs compared
     * @param maxAbsDiff      largest |fast - exact| over all pixel values (normalized units)
     * @param meanAbsDiff     mean |fast - exact| over all pixel values
     * @param maxUint8Levels  the largest difference in 0..255 levels before normalization (max over channels of
     *                        |diff| x std x 255)
     * @param captionsEqual   images whose greedy caption is the same on both paths (-1 without a model)
     */
    public record Result(int images, double maxAbsDiff, double meanAbsDiff, double maxUint8Levels, int captionsEqual) {
    }

    private FastPathEvaluation() {
    }

    /**
     * Compares the two paths on the files with the model's own preprocessing.
     *
     * @param model     captions both paths' pixels when not null (greedy, {@code maxNewTokens})
     * @throws IllegalStateException without libturbojpeg0 (no DCT scaling)
     */
    public static Result run(List<Path> jpegs, ImagePreprocessor exact, Blip2Model model, int maxNewTokens,
                             Consumer<String> log) throws IOException {
        TurboJpeg turbo = TurboJpeg.system().orElseThrow(
                () -> new IllegalStateException("the DCT-scaling fast path needs libturbojpeg0"));
        ImagePreprocessor fast = new ImagePreprocessor(exact.settings(),
                new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, true, turbo, true), exact.backend());
        double max = 0;
        double sum = 0;
        long count = 0;
        double maxLevels = 0;
        int equal = 0;
        double minStd = exact.settings().imageStd().stream().mapToDouble(Double::doubleValue).min().orElse(1);
        for (Path file : jpegs) {
            byte[] data = Files.readAllBytes(file);
            float[] a = exact.preprocess(data);
            float[] b = fast.preprocess(data);
            for (int i = 0; i < a.length; i++) {
                double d = Math.abs(a[i] - b[i]);
                max = Math.max(max, d);
                sum += d;
            }
            count += a.length;
            maxLevels = Math.max(maxLevels, max * minStd * 255);
            if (model != null) {
                var params = model.defaultParams(maxNewTokens);
                String ca = model.caption(List.of(a), List.of(""), params).images().getFirst().best().text();
                String cb = model.caption(List.of(b), List.of(""), params).images().getFirst().best().text();
                if (ca.equals(cb)) {
                    equal++;
                } else {
                    log.accept(file.getFileName() + ": exact \"" + ca + "\", dct-scaled \"" + cb + "\"");
                }
            }
        }
        return new Result(jpegs.size(), max, sum / count, maxLevels, model == null ? -1 : equal);
    }
}
