package dev.blip2serve.quantize;

import dev.blip2serve.blip2.GraphWeights;
import dev.blip2serve.blip2.LinearEmitter;
import dev.blip2serve.blip2.WeightPrecision;
import dev.blip2serve.blip2.WeightSource;
import dev.blip2serve.blip2.hf.HfBlip2OptWeights;
import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.checkpoint.Checkpoint;
import dev.blip2serve.convert.Blip2Converter;
import dev.blip2serve.convert.ProgressListener;
import dev.blip2serve.convert.VariantFiles;
import dev.blip2serve.quantize.calibration.CalibrationResult;
import dev.blip2serve.quantize.calibration.CalibrationSet;
import dev.blip2serve.quantize.calibration.Calibrator;
import dev.blip2serve.quantize.emit.FloatScheme;
import dev.blip2serve.quantize.emit.QuantizedLinears;
import dev.blip2serve.quantize.transform.ScalePlan;
import dev.blip2serve.quantize.transform.ScalePlanner;
import dev.blip2serve.quantize.transform.ScaledWeights;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.runtime.OrtCausalLm;
import dev.blip2serve.runtime.OrtOptions;
import dev.blip2serve.runtime.VisionRunner;
import dev.blip2serve.testing.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;

/** Shared helpers of the quantize tests: calibration on a few images, smoothing-only variants, logits. */
final class QuantizeTesting {

    private QuantizeTesting() {
    }

    /** Calibration of {@code checkpoint} on the first {@code items} shapes-blip2 calibration images. */
    static CalibrationResult calibrate(Path checkpoint, Scope scope, int items) throws Exception {
        Blip2Config config = Blip2Config.read(checkpoint);
        try (Checkpoint ckpt = Checkpoint.open(checkpoint)) {
            WeightSource base = new HfBlip2OptWeights(ckpt, config);
            return new Calibrator(checkpoint, config, base, 256)
                    .run(CalibrationSet.read(Fixtures.SHAPES_CALIB, items), scope::includes,
                            LinearTopology.of(config, base)::feedsSelfAttention, ProgressListener.NONE);
        }
    }

    /**
     * A variant whose in-scope linears stay float but whose weights carry the recipe's scales (folded, or behind
     * explicit Mul nodes): the float function must not change.
     */
    static Path smoothedFloatVariant(Path checkpoint, Recipe recipe, CalibrationResult calib, Path dir) throws Exception {
        Blip2Config config = Blip2Config.read(checkpoint);
        try (Checkpoint ckpt = Checkpoint.open(checkpoint)) {
            WeightSource base = new HfBlip2OptWeights(ckpt, config);
            LinearTopology topology = LinearTopology.of(config, base);
            ScalePlan plan = ScalePlanner.plan(recipe, topology, base, calib, ProgressListener.NONE);
            ScaledWeights scaled = new ScaledWeights(base, topology, plan.scales(), Map.of());
            Function<GraphWeights, LinearEmitter> linears = w -> new QuantizedLinears(w, topology, recipe.scope(), new FloatScheme());
            Blip2Converter.write(new Blip2Converter.Request(checkpoint, dir, "m", "smoothed", WeightPrecision.FP32,
                            Blip2Converter.INLINE_LIMIT), config, ckpt, scaled, linears,
                    new Manifest.Method("test", Map.of()), null, "fp32", "fp32", ProgressListener.NONE);
            return dir;
        }
    }

    /** Query embeddings and teacher-forced logits (all text positions) of one calibration image with a caption. */
    static float[] outputs(Path variant, Path checkpoint, int image) throws Exception {
        Blip2Config config = Blip2Config.read(checkpoint);
        var items = CalibrationSet.read(Fixtures.SHAPES_CALIB, image + 1).items();
        var pre = new dev.blip2serve.image.ImagePreprocessor(
                dev.blip2serve.image.ProcessorSettings.fromJson(checkpoint.resolve("preprocessor_config.json")));
        float[] pixels = pre.preprocess(Files.readAllBytes(items.get(image).image()));
        var t = config.text();
        int q = config.numQueryTokens();
        long[] ids;
        try (var tok = dev.blip2serve.tokenizer.OptTokenizer.load(checkpoint)) {
            ids = tok.encode(items.get(image).text());
        }
        try (VisionRunner v = new VisionRunner(variant.resolve(VariantFiles.VISION), config.vision().imageSize(), OrtOptions.cpu());
             OrtCausalLm lm = new OrtCausalLm(variant.resolve(VariantFiles.DECODER), t.layers(), t.heads(), t.hiddenSize(),
                     t.vocabSize(), OrtOptions.cpu())) {
            float[] prefix = v.queryEmbeds(pixels, 1);
            long[] mask = new long[q + ids.length];
            Arrays.fill(mask, 1);
            float[] logits = lm.logits(prefix, q, ids, ids.length, mask, 1, q + ids.length);
            float[] out = Arrays.copyOf(prefix, prefix.length + logits.length);
            System.arraycopy(logits, 0, out, prefix.length, logits.length);
            return out;
        }
    }
}
