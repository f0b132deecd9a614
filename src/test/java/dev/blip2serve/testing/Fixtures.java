package dev.blip2serve.testing;

import dev.blip2serve.blip2.WeightPrecision;
import dev.blip2serve.checkpoint.SafetensorsFile;
import dev.blip2serve.convert.Blip2Converter;
import dev.blip2serve.convert.FloatVariant;
import dev.blip2serve.convert.ProgressListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Paths to the checked-in fixtures, and variants converted from them once per test JVM. */
public final class Fixtures {

    public static final Path TINY = Path.of("src/test/resources/fixtures/tiny-blip2");
    public static final Path SHAPES = Path.of("src/main/resources/models/shapes-blip2");
    public static final Path SHAPES_EVAL = Path.of("data/shapes-blip2/eval/eval.json");
    public static final Path SHAPES_CALIB = Path.of("data/shapes-blip2/calib/calib.json");

    private static final Map<String, Path> CONVERTED = new ConcurrentHashMap<>();

    private Fixtures() {
    }

    public static JsonNode json(Path file) {
        return JsonMapper.builder().build().readTree(file.toFile());
    }

    public static SafetensorsFile golden() {
        return SafetensorsFile.open(TINY.resolve("golden.safetensors"));
    }

    /** The checkpoint converted to {@code precision}, once per JVM (in a temp folder deleted at exit). */
    public static Path variant(Path checkpoint, WeightPrecision precision) {
        return variant(checkpoint, precision == WeightPrecision.FP32 ? FloatVariant.FP32 : FloatVariant.FP16);
    }

    /** The float variant {@code v} of {@code checkpoint}, converted once per test JVM. */
    public static synchronized Path variant(Path checkpoint, FloatVariant v) {
        String key = checkpoint.toAbsolutePath() + "#" + v;
        return CONVERTED.computeIfAbsent(key, k -> {
            try {
                Path root = Files.createTempDirectory("blip2-fixture-");
                Blip2Converter.Request request = Blip2Converter.Request.of(checkpoint, root,
                        checkpoint.getFileName().toString(), v);
                Path dir = request.variantDir();
                Blip2Converter.convert(request, ProgressListener.NONE);
                root.toFile().deleteOnExit();
                return dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    public static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
