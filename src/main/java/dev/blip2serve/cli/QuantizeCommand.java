package dev.blip2serve.cli;

import dev.blip2serve.convert.FloatVariant;
import dev.blip2serve.quantize.Preset;
import dev.blip2serve.quantize.QuantizePipeline;
import dev.blip2serve.quantize.Recipe;
import dev.blip2serve.quantize.Scope;
import dev.blip2serve.quantize.calibration.CalibrationSet;
import dev.blip2serve.repository.Manifest;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code quantize}: a Hugging Face BLIP-2 checkpoint to a quantized variant in a model repository. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Quantize a Hugging Face BLIP-2 (OPT) checkpoint into <repo>/<model>/<variant>/.",
            "Presets: w8a8, w8a8-tensor (SmoothQuant, real int8 MatMulInteger); w4a16, w3a16 (AWQ) and w4a16-rtn, "
                + "w3a16-rtn (MatMulNBits); w4a4-tensor, w4a4-token, w4a4-g128 (SmoothQuant) and w4a4-gaware "
                + "(group-aware SmoothQuant): 4-bit MatMulNBits weights under simulated 4-bit activations."})
final class QuantizeCommand implements Callable<Integer> {

    /** Steps reported in items (not bytes). */
    private static final Set<String> COUNTED = Set.of("calibrate", "search", "clip");

    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, paramLabel = "DIR", description = "HF checkpoint folder")
    Path checkpoint;

    @Option(names = "--repo", required = true, paramLabel = "DIR", description = "model repository root")
    Path repo;

    @Option(names = "--preset", required = true, paramLabel = "NAME", description = "one of: ${COMPLETION-CANDIDATES}",
            completionCandidates = PresetNames.class)
    String preset;

    @Option(names = "--calibration", paramLabel = "JSON", description = "calibration images {\"items\": [{image, references}]} (all presets but *-rtn)")
    Path calibration;

    @Option(names = "--calibration-limit", defaultValue = "0", paramLabel = "N", description = "use the first N calibration items (0 = all)")
    int calibrationLimit;

    @Option(names = "--calibration-seed", paramLabel = "S",
            description = "draw the --calibration-limit items at random with this seed instead of taking the first N")
    Long calibrationSeed;

    @Option(names = "--sample-rows", defaultValue = "8192", paramLabel = "N", description = "activation rows kept per linear input for the searches, fewer where 2 GiB would not hold them all (default: ${DEFAULT-VALUE})")
    int sampleRows;

    @Option(names = "--alpha", paramLabel = "A", description = "SmoothQuant migration strength in [0, 1] (default 0.5)")
    Double alpha;

    @Option(names = "--group-size", paramLabel = "G", description = "group size along K for grouped presets: a power of two >= 16 dividing every K in scope (default 128)")
    Integer groupSize;

    @Option(names = "--bits", paramLabel = "B", description = "weight bits of the weight-only presets: 3, 4 or 8")
    Integer bits;

    @Option(names = "--no-clip", description = "AWQ presets: skip the weight clipping search")
    boolean noClip;

    @Option(names = "--cpu-accuracy-level", paramLabel = "L",
            description = "weight-only presets: MatMulNBits accuracy_level; 0 = fp32 activations (default), "
                    + "4 = int8 activations per block inside ONNX Runtime's CPU kernel (W4A8 compute, faster)")
    Integer cpuAccuracyLevel;

    @Option(names = "--int8-lm-head", description = "weight-only presets at --cpu-accuracy-level 4: the LM head as 8-bit "
            + "weights (group 128) in MatMulNBits instead of the fp32 table (OPT-2.7b: a fifth of each token's time)")
    boolean int8LmHead;

    @Option(names = "--scope", paramLabel = "llm|all", description = "llm: the language model only (default); all: vision + Q-Former + projection too")
    String scope;

    @Option(names = "--name", paramLabel = "VARIANT", description = "variant folder name (default: the preset, with -all for --scope all)")
    String name;

    @Option(names = "--model-name", paramLabel = "NAME", description = "model name in the repository (default: the checkpoint folder's name)")
    String modelName;

    @Option(names = "--float-weights", defaultValue = "fp32", paramLabel = "fp32|fp16|fp16-compute",
            description = "the float part of the variant, as convert writes it: fp32, fp16 (fp16 storage, fp32 compute) "
                    + "or fp16-compute (fp16 activations everywhere but the Q-Former; weight-only presets; for CUDA) "
                    + "(default: ${DEFAULT-VALUE})")
    String floatWeights;

    /** The preset names for the help text. */
    static final class PresetNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.Arrays.stream(Preset.values()).map(Preset::label).iterator();
        }
    }

    @Override
    public Integer call() throws Exception {
        Preset p = Preset.parse(preset);
        Scope s = scope == null ? null : Scope.parse(scope);
        Recipe recipe = Recipe.of(p, alpha, groupSize, bits, s, noClip ? Boolean.FALSE : null, cpuAccuracyLevel, int8LmHead);
        FloatVariant floats;
        try {
            floats = FloatVariant.parse(floatWeights);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--float-weights: " + e.getMessage());
        }
        if (calibration != null && !p.needsCalibration()) {
            throw new IllegalArgumentException("preset " + p.label() + " is round-to-nearest and takes no --calibration");
        }
        if (calibrationSeed != null && calibration == null) {
            throw new IllegalArgumentException("--calibration-seed draws from --calibration: give both");
        }
        CalibrationSet.Selection calibrationItems = new CalibrationSet.Selection(calibrationLimit, calibrationSeed);
        String model = modelName != null ? modelName : checkpoint.toAbsolutePath().normalize().getFileName().toString();
        String variant = name != null ? name : p.label() + (s == Scope.ALL ? "-all" : "");
        for (String[] v : new String[][] {{"--model-name", model}, {"--name", variant}}) {
            if (!v[1].matches("[A-Za-z0-9._-]+") || v[1].equals(".") || v[1].equals("..")) {
                throw new IllegalArgumentException(v[0] + " must be letters, digits, '.', '_' or '-', got '" + v[1] + "'");
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path dir = repo.resolve(model).resolve(variant);
        ProgressBar bar = new ProgressBar(err, COUNTED::contains);
        long t0 = System.nanoTime();
        Manifest m = QuantizePipeline.run(new QuantizePipeline.Request(checkpoint, dir, model, variant, recipe,
                calibration, calibrationItems, sampleRows, floats.weights(), floats.compute()), bar);
        bar.finishLine();
        out.printf("%s: %s in %.1f s (%s; %s)%n", variant, dir, (System.nanoTime() - t0) / 1e9,
                ProgressBar.bytes(m.totalBytes()), recipe.scheme().label());
        return 0;
    }
}
