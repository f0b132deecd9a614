package dev.blip2serve.quantize.calibration;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.blip2serve.blip2.GraphWeights;
import dev.blip2serve.blip2.OptDecoderGraph;
import dev.blip2serve.blip2.VisionGraph;
import dev.blip2serve.blip2.WeightPrecision;
import dev.blip2serve.blip2.WeightSource;
import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.convert.Blip2Converter;
import dev.blip2serve.convert.ProgressListener;
import dev.blip2serve.image.ImagePreprocessor;
import dev.blip2serve.image.ProcessorSettings;
import dev.blip2serve.onnx.GraphBuilder;
import dev.blip2serve.onnx.OnnxModelWriter;
import dev.blip2serve.onnx.TensorData;
import dev.blip2serve.tokenizer.OptTokenizer;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Runs the float32 model over a calibration set and records, at the input of every selected linear, the
 * statistics the scale searches need ({@link ActivationStats}).
 *
 * <p>The graphs are the float ones with {@link CalibrationTaps}, written to a temporary folder: the vision graph
 * on each image (batch 1), then, with the vision session closed, the decoder teacher-forced on
 * {@code [image queries] + BOS + text tokens} in one full-sequence run per item (empty KV cache). Only one graph is
 * loaded and one item's activations are in memory at a time (plus every item's query embeddings).
 */
public final class Calibrator {

    private final Path checkpointDir;
    private final Blip2Config config;
    private final WeightSource weights;
    private final int maxRows;

    /**
     * @param weights the float weights (unscaled)
     * @param maxRows rows sampled per tapped tensor for the searches
     */
    public Calibrator(Path checkpointDir, Blip2Config config, WeightSource weights, int maxRows) {
        this.checkpointDir = checkpointDir;
        this.config = config;
        this.weights = weights;
        this.maxRows = maxRows;
    }

    /** {@link #run(CalibrationSet, Predicate, Predicate, ProgressListener)} with spread-row samples everywhere. */
    public CalibrationResult run(CalibrationSet set, Predicate<String> selected, ProgressListener progress)
            throws IOException {
        return run(set, selected, linear -> false, progress);
    }

    /**
     * @param selected       the linears whose inputs are measured
     * @param wholeSequences the linears whose input sample must hold whole sequences (self-attention q/k/v)
     * @param progress       told "calibrate", items done, items in all
     */
    public CalibrationResult run(CalibrationSet set, Predicate<String> selected, Predicate<String> wholeSequences,
                                 ProgressListener progress) throws IOException {
        Path tmp = Files.createTempDirectory("blip2-calibration-");
        try {
            GraphWeights vw = new GraphWeights(weights, WeightPrecision.FP32);
            CalibrationTaps visionTaps = new CalibrationTaps(vw, selected);
            Path vision = write(VisionGraph.build(config, vw, visionTaps), tmp.resolve("vision.onnx"));
            GraphWeights lw = new GraphWeights(weights, WeightPrecision.FP32);
            CalibrationTaps lmTaps = new CalibrationTaps(lw, selected);
            Path decoder = write(OptDecoderGraph.build(config, lw, lmTaps), tmp.resolve("decoder.onnx"));
            Map<String, String> taps = new LinkedHashMap<>(visionTaps.taps());
            taps.putAll(lmTaps.taps());
            Map<String, ActivationStats> stats = new HashMap<>();
            for (Map.Entry<String, String> t : taps.entrySet()) {
                if (!stats.containsKey(t.getValue())) {
                    int k = Math.toIntExact(weights.shape(t.getKey() + ".weight")[1]);
                    stats.put(t.getValue(), new ActivationStats(k, maxRows, set.items().size(),
                            wholeSequences.test(t.getKey())));
                }
            }
            measure(set, vision, decoder, new HashSet<>(visionTaps.taps().values()),
                    new HashSet<>(lmTaps.taps().values()), stats, progress);
            return new CalibrationResult(set, taps, stats);
        } finally {
            deleteTree(tmp);
        }
    }

    private void measure(CalibrationSet set, Path visionFile, Path decoderFile, Set<String> visionOutputs,
                         Set<String> lmOutputs, Map<String, ActivationStats> stats, ProgressListener progress)
            throws IOException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        ImagePreprocessor pre = new ImagePreprocessor(ProcessorSettings.fromJson(checkpointDir.resolve("preprocessor_config.json")));
        Blip2Config.OptConfig t = config.text();
        int q = config.numQueryTokens();
        int side = config.vision().imageSize();
        int passes = lmOutputs.isEmpty() ? 1 : 2;
        int total = passes * set.items().size();
        try (OptTokenizer tokenizer = OptTokenizer.load(checkpointDir);
             OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // A handful of runs: packing the GEMM weights would only add a second copy of them while loading.
            so.addConfigEntry("session.disable_prepacking", "1");
            // One graph at a time, vision over every item first: at full size the fp32 ViT-g and OPT decoder
            // together would need the memory of both (~15 GB for OPT-2.7b) instead of the larger one.
            List<float[]> prefixes = new ArrayList<>();
            int done = 0;
            progress.progress("calibrate", 0, total);
            try (OrtSession vision = env.createSession(visionFile.toString(), so)) {
                Set<String> vOut = new HashSet<>(visionOutputs);
                vOut.add(VisionGraph.QUERY_EMBEDS);
                for (CalibrationSet.Item item : set.items()) {
                    float[] pixels = pre.preprocess(Files.readAllBytes(item.image()));
                    try (OnnxTensor px = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), new long[] {1, 3, side, side});
                         OrtSession.Result r = vision.run(Map.of(VisionGraph.PIXEL_VALUES, px), vOut)) {
                        prefixes.add(floats(r, VisionGraph.QUERY_EMBEDS)); // [q, hidden]: 320 KB at 2.7b
                        collect(r, visionOutputs, stats);
                    }
                    progress.progress("calibrate", ++done, total);
                }
            }
            if (lmOutputs.isEmpty()) {
                return;
            }
            try (OrtSession decoder = env.createSession(decoderFile.toString(), so)) {
                for (int i = 0; i < set.items().size(); i++) {
                    CalibrationSet.Item item = set.items().get(i);
                    long[] ids = item.text().isEmpty() ? new long[] {t.bosTokenId()} : tokenizer.encode(item.text());
                    runDecoder(env, decoder, prefixes.get(i), q, ids, lmOutputs, stats);
                    progress.progress("calibrate", ++done, total);
                }
            }
        } catch (OrtException e) {
            throw new IOException("calibration run failed: " + e.getMessage(), e);
        }
    }

    private void runDecoder(OrtEnvironment env, OrtSession decoder, float[] prefix, int q, long[] ids,
                            Set<String> outputs, Map<String, ActivationStats> stats) throws OrtException {
        Blip2Config.OptConfig t = config.text();
        long[] mask = new long[q + ids.length];
        java.util.Arrays.fill(mask, 1L);
        List<OnnxTensor> owned = new ArrayList<>();
        try {
            Map<String, OnnxTensor> in = new HashMap<>();
            in.put(OptDecoderGraph.INPUTS_EMBEDS, own(owned, OnnxTensor.createTensor(env, FloatBuffer.wrap(prefix), new long[] {1, q, t.hiddenSize()})));
            in.put(OptDecoderGraph.INPUT_IDS, own(owned, OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {1, ids.length})));
            in.put(OptDecoderGraph.ATTENTION_MASK, own(owned, OnnxTensor.createTensor(env, LongBuffer.wrap(mask), new long[] {1, mask.length})));
            in.put(OptDecoderGraph.LOGITS_TO_KEEP, own(owned, OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {1}), new long[] {1})));
            OnnxTensor empty = own(owned, OnnxTensor.createTensor(env, FloatBuffer.allocate(0), new long[] {1, t.heads(), 0, t.headDim()}));
            for (int i = 0; i < t.layers(); i++) {
                in.put(OptDecoderGraph.pastKey(i), empty);
                in.put(OptDecoderGraph.pastValue(i), empty);
            }
            try (OrtSession.Result r = decoder.run(in, outputs)) {
                collect(r, outputs, stats);
            }
        } finally {
            owned.forEach(OnnxTensor::close);
        }
    }

    private static OnnxTensor own(List<OnnxTensor> owned, OnnxTensor t) {
        owned.add(t);
        return t;
    }

    private static void collect(OrtSession.Result r, Set<String> outputs, Map<String, ActivationStats> stats) throws OrtException {
        for (String name : outputs) {
            ActivationStats s = stats.get(name);
            float[] x = floats(r, name);
            s.addItem(x, x.length / s.k());
        }
    }

    private static float[] floats(OrtSession.Result r, String name) throws OrtException {
        OnnxTensor t = (OnnxTensor) r.get(name).orElseThrow(() -> new IllegalStateException("no output " + name));
        FloatBuffer b = t.getFloatBuffer();
        float[] out = new float[b.remaining()];
        b.get(out);
        return out;
    }

    private static Path write(GraphBuilder g, Path file) throws IOException {
        long total = 0;
        for (TensorData d : g.initializers().values()) {
            total += d.byteSize();
        }
        long threshold = total > Blip2Converter.INLINE_LIMIT ? 1024 : Long.MAX_VALUE;
        new OnnxModelWriter(threshold, Map.of()).write(g, file, null);
        return file;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
