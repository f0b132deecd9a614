package dev.blip2serve.quantize;

import dev.blip2serve.blip2.ComputePrecision;
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
import dev.blip2serve.quantize.emit.LinearScheme;
import dev.blip2serve.quantize.emit.NBitsScheme;
import dev.blip2serve.quantize.emit.QuantizedLinears;
import dev.blip2serve.quantize.transform.ScalePlan;
import dev.blip2serve.quantize.transform.ScalePlanner;
import dev.blip2serve.quantize.transform.ScaledWeights;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.repository.ManifestIo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code quantize}: checkpoint -> (calibration) -> scale search -> scaled, quantized graphs -> variant folder with
 * a manifest saying how it was made and how each graph computes.
 */
public final class QuantizePipeline {

    /**
     * Rows of each linear's input kept for the searches: every row of 128 captioned shapes-blip2 images (about 5,500),
     * as llm-awq searches on every calibration token; {@link Calibrator#DEFAULT_SAMPLE_BYTES} caps it at full size.
     */
    public static final int DEFAULT_SAMPLE_ROWS = 8192;

    private QuantizePipeline() {
    }

    /**
     * @param calibration      calibration JSON, or null (only RTN presets run without one)
     * @param calibrationItems which calibration items (the first N, or N drawn with a seed)
     * @param sampleRows       activation rows kept per linear input for the searches
     * @param floatWeights     storage of the weights that stay float (embeddings, LM head, out-of-scope linears)
     * @param compute          the activations' precision: fp16 (fp16 weights, weight-only presets) is CUDA's fast path
     */
    public record Request(Path checkpointDir, Path variantDir, String modelName, String variantName, Recipe recipe,
                         Path calibration, CalibrationSet.Selection calibrationItems, int sampleRows,
                         WeightPrecision floatWeights, ComputePrecision compute) {
        public Request {
            java.util.Objects.requireNonNull(calibrationItems, "calibrationItems");
            if (sampleRows < 1) {
                throw new IllegalArgumentException("--sample-rows must be >= 1, got " + sampleRows);
            }
            if (compute == ComputePrecision.FP16 && !(recipe.scheme() instanceof NBitsScheme nb && nb.activations() == null)) {
                throw new IllegalArgumentException("fp16 compute is for the weight-only presets (w4a16*, w3a16*); "
                        + recipe.preset().label() + " quantizes its activations in fp32");
            }
        }

        /** A request computing in fp32. */
        public Request(Path checkpointDir, Path variantDir, String modelName, String variantName, Recipe recipe,
                       Path calibration, int calibrationLimit, int sampleRows, WeightPrecision floatWeights) {
            this(checkpointDir, variantDir, modelName, variantName, recipe, calibration,
                    CalibrationSet.Selection.first(calibrationLimit), sampleRows,
                    floatWeights, ComputePrecision.FP32);
        }
    }

    /** Builds the variant; progress steps: calibrate, search, clip (items / groups), vision, decoder (bytes), hashing. */
    public static Manifest run(Request req, ProgressListener progress) throws IOException {
        Recipe recipe = req.recipe();
        Blip2Config config = Blip2Config.read(req.checkpointDir());
        try (Checkpoint ckpt = Checkpoint.open(req.checkpointDir())) {
            WeightSource base = new HfBlip2OptWeights(ckpt, config);
            LinearTopology topology = LinearTopology.of(config, base);
            recipe.validate(topology);
            CalibrationResult calib = null;
            if (recipe.preset().needsCalibration()) {
                if (req.calibration() == null) {
                    throw new IllegalArgumentException("preset " + recipe.preset().label()
                            + " needs --calibration (a JSON of calibration images, e.g. data/shapes-blip2/calib/calib.json)");
                }
                CalibrationSet set = CalibrationSet.read(req.calibration(), req.calibrationItems());
                calib = new Calibrator(req.checkpointDir(), config, base, req.sampleRows())
                        .run(set, recipe.scope()::includes, topology::feedsSelfAttention, progress);
            }
            ScalePlan plan = ScalePlanner.plan(recipe, topology, base, calib, progress);
            WeightSource source = plan.isEmpty() ? base : new ScaledWeights(base, topology, plan.scales(), plan.clips());
            LinearScheme scheme = recipe.scheme();
            NBitsScheme head = recipe.lmHeadScheme(config.text().hiddenSize());
            Function<GraphWeights, LinearEmitter> linears = w -> new QuantizedLinears(w, topology, recipe.scope(), scheme, head);
            Map<String, Object> params = new LinkedHashMap<>(recipe.parameters());
            params.put("float_weights", req.floatWeights().name().toLowerCase(java.util.Locale.ROOT));
            params.put("compute", req.compute().name().toLowerCase(java.util.Locale.ROOT));
            params.put("lm_head", head == null ? "float" : head.weights().label() + " (MatMulNBits)");
            if (calib != null) {
                if (req.calibrationItems().seed() != null) {
                    params.put("calibration_seed", req.calibrationItems().seed());
                }
                params.put("calibration_sample_rows", calib.sampleRows());
            }
            if (!plan.searches().isEmpty()) {
                params.put("searches", plan.searches());
            }
            Manifest.Method method = new Manifest.Method("quantize", params);
            Blip2Converter.Request convert = new Blip2Converter.Request(req.checkpointDir(), req.variantDir(),
                    req.modelName(), req.variantName(), req.floatWeights(), Blip2Converter.INLINE_LIMIT, req.compute());
            Manifest written = Blip2Converter.write(convert, config, ckpt, source, linears, method,
                    calib == null ? null : calib.set().manifestEntry(), scheme.cpu(), scheme.cuda(), progress);
            Manifest m = withComponents(written, recipe, scheme, head, req.floatWeights(), req.compute());
            ManifestIo.write(req.variantDir(), m);
            return m;
        }
    }

    /** The converter writes one description for both graphs; say per graph what is quantized and how. */
    private static Manifest withComponents(Manifest m, Recipe recipe, LinearScheme scheme, LinearScheme head,
                                           WeightPrecision floats, ComputePrecision compute) {
        String rest = compute == ComputePrecision.FP16 ? "fp16 (fp16 compute; the Q-Former fp32)"
                : floats == WeightPrecision.FP32 ? "fp32" : "fp16 weights cast to fp32";
        String linearsCpu = scheme.cpu(compute);
        String linearsCuda = scheme.cuda(compute);
        String smooth = switch (recipe.preset().method()) {
            case RTN -> "";
            case SMOOTHQUANT -> "; SmoothQuant scales (alpha " + recipe.alpha() + ") folded into LayerNorms / preceding "
                    + "linears, explicit Mul elsewhere";
            case AWQ -> "; AWQ scales folded into LayerNorms / preceding linears, explicit Mul elsewhere"
                    + (recipe.clip() ? "; clipped weights" : "; no clipping");
            case GROUP_AWARE -> "; group-aware SmoothQuant scales folded into LayerNorms / preceding linears, explicit "
                    + "Mul elsewhere";
        };
        Map<String, Manifest.Component> components = new LinkedHashMap<>();
        boolean all = recipe.scope() == Scope.ALL;
        String visionCpu = all ? "ViT, Q-Former and projection linears: " + linearsCpu + smooth + "; other ops " + rest
                : rest + " MatMul (not quantized: scope llm)";
        String visionCuda = all ? "linears: " + linearsCuda + "; other ops " + rest : rest + " MatMul";
        components.put("vision", new Manifest.Component(VariantFiles.VISION, visionCpu, visionCuda));
        String embeddings = head == null ? "; embeddings and LM head " + rest
                : "; LM head " + head.cpu(compute) + "; embeddings " + rest;
        String embeddingsCuda = head == null ? "; embeddings and LM head " + rest
                : "; LM head " + head.cuda(compute) + "; embeddings " + rest;
        components.put("decoder", new Manifest.Component(VariantFiles.DECODER,
                "OPT attention and MLP linears: " + linearsCpu + smooth + embeddings,
                "OPT linears: " + linearsCuda + embeddingsCuda));
        return new Manifest(m.schema(), m.model(), m.precision(), recipe.preset().label(), m.source(), m.method(),
                m.calibration(), components, m.files(), m.createdAt(), m.toolVersion(), m.quality(), m.latency());
    }
}
