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
 * {@code [image queries] + BOS + text tokens} in one full-sequence run per item (no KV cache). The decoder runs as
 * slices of consecutive layers ({@link OptDecoderGraph#buildLayers}) of at most {@code sliceBytes} of float32
 * weights each, every item through one slice before the next slice is written and loaded, its output hidden
 * states carried over: at full size only one slice of the 10 GB fp32 OPT-2.7b is on disk and mapped at a time. One graph is loaded and one
 * item's activations are in memory at a time, plus every item's query embeddings and hidden states
 * ({@code items * tokens * D} floats).
 */
public final class Calibrator {

    /** Float32 weight bytes per decoder slice by default: 2 GiB, six layers of OPT-2.7b. */
    public static final long DEFAULT_SLICE_BYTES = 2L << 30;

    /**
     * Bytes all activation samples together may take by default: 2 GiB. shapes-blip2 keeps every calibration row
     * with room to spare; OPT-2.7b's language model (573,440 input channels over all tapped linears) keeps 936 rows
     * per input, 22 captioned images.
     */
    public static final long DEFAULT_SAMPLE_BYTES = 2L << 30;

    private final Path checkpointDir;
    private final Blip2Config config;
    private final WeightSource weights;
    private final int maxRows;
    private final long sliceBytes;
    private final long sampleBytes;

    /**
     * @param weights the float weights (unscaled)
     * @param maxRows rows sampled per tapped tensor for the searches, fewer where {@link #DEFAULT_SAMPLE_BYTES}
     *                would not hold them
     */
    public Calibrator(Path checkpointDir, Blip2Config config, WeightSource weights, int maxRows) {
        this(checkpointDir, config, weights, maxRows, DEFAULT_SLICE_BYTES, DEFAULT_SAMPLE_BYTES);
    }

    /**
     * @param sliceBytes  float32 weight bytes per decoder slice (at least one layer per slice)
     * @param sampleBytes bytes all samples together may take: the rows per tapped tensor are capped so that
     *                    {@code rows * (sum of the tapped widths) * 4 <= sampleBytes} (at least one row)
     */
    public Calibrator(Path checkpointDir, Blip2Config config, WeightSource weights, int maxRows, long sliceBytes,
                      long sampleBytes) {
        if (sliceBytes <= 0 || sampleBytes <= 0) {
            throw new IllegalArgumentException("slice and sample bytes must be positive");
        }
        if (maxRows < 1) {
            throw new IllegalArgumentException("sample rows must be at least 1, got " + maxRows);
        }
        this.checkpointDir = checkpointDir;
        this.config = config;
        this.weights = weights;
        this.maxRows = maxRows;
        this.sliceBytes = sliceBytes;
        this.sampleBytes = sampleBytes;
    }

    /** Rows per tapped tensor: {@code maxRows}, or fewer so that samples of widths {@code widths} fit the budget. */
    static int sampleRows(int maxRows, long sampleBytes, long sumOfWidths) {
        long fit = sampleBytes / (4L * Math.max(1, sumOfWidths));
        return (int) Math.max(1, Math.min(maxRows, fit));
    }

    /** The decoder's layers in slices {@code [from, to)} of at most {@code sliceBytes} float32 weights (one layer at least). */
    static List<int[]> slices(Blip2Config.OptConfig t, long sliceBytes) {
        long d = t.hiddenSize();
        long layerBytes = 4L * (4 * d * d + 2 * d * t.ffnDim());
        int perSlice = (int) Math.max(1, Math.min(t.layers(), sliceBytes / layerBytes));
        List<int[]> out = new ArrayList<>();
        for (int from = 0; from < t.layers(); from += perSlice) {
            out.add(new int[] {from, Math.min(t.layers(), from + perSlice)});
        }
        return out;
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
            Map<String, String> taps = new LinkedHashMap<>(visionTaps.taps());
            List<DecoderSlice> decoder = new ArrayList<>();
            for (int[] slice : slices(config.text(), sliceBytes)) {
                GraphWeights lw = new GraphWeights(weights, WeightPrecision.FP32);
                CalibrationTaps lmTaps = new CalibrationTaps(lw, selected);
                // built now for its taps; written (weights streamed to disk) only when its turn comes
                GraphBuilder graph = OptDecoderGraph.buildLayers(config, lw, lmTaps, slice[0], slice[1]);
                taps.putAll(lmTaps.taps());
                decoder.add(new DecoderSlice(graph, tmp.resolve("decoder-" + slice[0] + ".onnx"), slice[0],
                        new HashSet<>(lmTaps.taps().values())));
            }
            Map<String, String> linearOfTap = new LinkedHashMap<>();
            taps.forEach((linear, tap) -> linearOfTap.putIfAbsent(tap, linear));
            Map<String, Integer> widthOfTap = new LinkedHashMap<>();
            linearOfTap.forEach((tap, linear) -> widthOfTap.put(tap, Math.toIntExact(weights.shape(linear + ".weight")[1])));
            int rows = sampleRows(maxRows, sampleBytes, widthOfTap.values().stream().mapToLong(Integer::longValue).sum());
            Map<String, ActivationStats> stats = new HashMap<>();
            linearOfTap.forEach((tap, linear) -> stats.put(tap, new ActivationStats(widthOfTap.get(tap), rows,
                    set.items().size(), wholeSequences.test(linear))));
            measure(set, vision, decoder, new HashSet<>(visionTaps.taps().values()), stats, progress);
            return new CalibrationResult(set, taps, stats, rows);
        } finally {
            deleteTree(tmp);
        }
    }

    /** One slice of the decoder: its graph, the file it is written to, its first layer, its tap outputs. */
    private record DecoderSlice(GraphBuilder graph, Path file, int from, Set<String> taps) {
    }

    private void measure(CalibrationSet set, Path visionFile, List<DecoderSlice> decoder, Set<String> visionOutputs,
                         Map<String, ActivationStats> stats, ProgressListener progress) throws IOException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        ImagePreprocessor pre = new ImagePreprocessor(ProcessorSettings.fromJson(checkpointDir.resolve("preprocessor_config.json")));
        Blip2Config.OptConfig t = config.text();
        int q = config.numQueryTokens();
        int side = config.vision().imageSize();
        boolean lm = decoder.stream().anyMatch(s -> !s.taps().isEmpty());
        int total = (lm ? 1 + decoder.size() : 1) * set.items().size();
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
            if (!lm) {
                return;
            }
            List<long[]> ids = new ArrayList<>();
            for (CalibrationSet.Item item : set.items()) {
                ids.add(item.text().isEmpty() ? new long[] {t.bosTokenId()} : tokenizer.encode(item.text()));
            }
            // every item through one slice, then the next slice on the hidden states the previous one left
            List<float[]> hidden = new ArrayList<>(prefixes);
            for (int si = 0; si < decoder.size(); si++) {
                DecoderSlice slice = decoder.get(si);
                boolean last = si == decoder.size() - 1;
                Set<String> outputs = new HashSet<>(slice.taps());
                if (!last) {
                    outputs.add(OptDecoderGraph.HIDDEN_STATES_OUT);
                }
                write(slice.graph(), slice.file());
                try (OrtSession session = env.createSession(slice.file().toString(), so)) {
                    for (int i = 0; i < set.items().size(); i++) {
                        hidden.set(i, runSlice(env, session, slice.from() == 0, hidden.get(i), q, ids.get(i), outputs,
                                last, stats));
                        progress.progress("calibrate", ++done, total);
                    }
                }
                deleteGraph(slice.file());
            }
        } catch (OrtException e) {
            throw new IOException("calibration run failed: " + e.getMessage(), e);
        }
    }

    /**
     * One item through one decoder slice: the first slice reads the query embeddings {@code input [q, D]} and the
     * token ids, the others the hidden states {@code input [q + ids, D]}; returns the slice's hidden states (null
     * after the last slice).
     */
    private float[] runSlice(OrtEnvironment env, OrtSession slice, boolean first, float[] input, int q, long[] ids,
                             Set<String> outputs, boolean last, Map<String, ActivationStats> stats) throws OrtException {
        int d = config.text().hiddenSize();
        long[] mask = new long[q + ids.length];
        java.util.Arrays.fill(mask, 1L);
        List<OnnxTensor> owned = new ArrayList<>();
        try {
            Map<String, OnnxTensor> in = new HashMap<>();
            if (first) {
                in.put(OptDecoderGraph.INPUTS_EMBEDS, own(owned, OnnxTensor.createTensor(env, FloatBuffer.wrap(input), new long[] {1, q, d})));
                in.put(OptDecoderGraph.INPUT_IDS, own(owned, OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {1, ids.length})));
            } else {
                in.put(OptDecoderGraph.HIDDEN_STATES, own(owned, OnnxTensor.createTensor(env, FloatBuffer.wrap(input), new long[] {1, mask.length, d})));
            }
            in.put(OptDecoderGraph.ATTENTION_MASK, own(owned, OnnxTensor.createTensor(env, LongBuffer.wrap(mask), new long[] {1, mask.length})));
            try (OrtSession.Result r = slice.run(in, outputs)) {
                collect(r, outputs, stats);
                return last ? null : floats(r, OptDecoderGraph.HIDDEN_STATES_OUT);
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
            if (s == null) {
                continue; // a graph output that is no tap (the hidden states handed to the next slice)
            }
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

    /** A slice's graph and its external data, once the slice has run (frees the disk and the page cache early). */
    private static void deleteGraph(Path file) throws IOException {
        try (Stream<Path> siblings = Files.list(file.getParent())) {
            for (Path p : siblings.filter(p -> p.getFileName().toString().startsWith(file.getFileName().toString())).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
