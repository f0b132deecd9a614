package dev.blip2serve.convert;

import dev.blip2serve.blip2.ComputePrecision;
import dev.blip2serve.blip2.GraphWeights;
import dev.blip2serve.blip2.LinearEmitter;
import dev.blip2serve.blip2.OptDecoderGraph;
import dev.blip2serve.blip2.VisionGraph;
import dev.blip2serve.blip2.WeightPrecision;
import dev.blip2serve.blip2.WeightSource;
import dev.blip2serve.blip2.hf.HfBlip2OptWeights;
import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.checkpoint.Checkpoint;
import dev.blip2serve.onnx.GraphBuilder;
import dev.blip2serve.onnx.OnnxModelWriter;
import dev.blip2serve.onnx.TensorData;
import dev.blip2serve.onnx.Version;
import dev.blip2serve.repository.Hashing;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.repository.ManifestIo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Writes a float variant ({@link FloatVariant}) of a Hugging Face BLIP-2 checkpoint into a variant
 * folder: {@code vision.onnx}, {@code decoder.onnx} (with external data when large), the tokenizer and
 * configs, and {@code manifest.json}. Weights stream from the mapped checkpoint one tensor at a time.
 */
public final class Blip2Converter {

    /** Above this many weight bytes a graph's initializers go to external data (protobuf stops at 2 GB). */
    public static final long INLINE_LIMIT = 1L << 30;

    private Blip2Converter() {
    }

    /** Where and how to convert; {@code compute} is the graphs' activation precision. */
    public record Request(Path checkpointDir, Path variantDir, String modelName, String variantName,
                          WeightPrecision precision, long inlineLimit, ComputePrecision compute) {
        public Request {
            if (inlineLimit < 0) {
                throw new IllegalArgumentException("inline limit must be >= 0");
            }
        }

        /** A request for float32 compute. */
        public Request(Path checkpointDir, Path variantDir, String modelName, String variantName,
                       WeightPrecision precision, long inlineLimit) {
            this(checkpointDir, variantDir, modelName, variantName, precision, inlineLimit, ComputePrecision.FP32);
        }

        /** A request for the float variant {@code v}, named after it. */
        public static Request of(Path checkpointDir, Path repository, String modelName, FloatVariant v) {
            return new Request(checkpointDir, repository.resolve(modelName).resolve(v.label()), modelName, v.label(),
                    v.weights(), INLINE_LIMIT, v.compute());
        }
    }

    public static Manifest convert(Request req, ProgressListener progress) throws IOException {
        Blip2Config config = Blip2Config.read(req.checkpointDir());
        try (Checkpoint ckpt = Checkpoint.open(req.checkpointDir())) {
            WeightSource source = new HfBlip2OptWeights(ckpt, config);
            Function<GraphWeights, LinearEmitter> linears = w -> w;
            FloatVariant v = FloatVariant.of(req.precision(), req.compute());
            Manifest.Method method = new Manifest.Method("convert", Map.of(
                    "weights", req.precision().name().toLowerCase(Locale.ROOT),
                    "compute", req.compute().name().toLowerCase(Locale.ROOT)));
            return write(req, config, ckpt, source, linears, method, null, v.cpu(), v.cuda(), progress);
        }
    }

    /**
     * Builds both graphs with {@code linears} deciding each linear layer, writes them, copies the sidecar
     * files and writes the manifest. Quantized variants come through here too.
     */
    public static Manifest write(Request req, Blip2Config config, Checkpoint ckpt, WeightSource source,
                                 Function<GraphWeights, LinearEmitter> linears, Manifest.Method method,
                                 Manifest.Calibration calibration, String cpuCompute, String cudaCompute,
                                 ProgressListener progress) throws IOException {
        Path dir = req.variantDir();
        Files.createDirectories(dir);
        Files.deleteIfExists(dir.resolve(Manifest.FILE_NAME)); // an interrupted rewrite must not look valid
        Map<String, String> meta = Map.of("blip2serve.model", req.modelName(), "blip2serve.variant", req.variantName());

        GraphWeights visionWeights = new GraphWeights(source, req.precision(), req.compute());
        GraphBuilder vision = VisionGraph.build(config, visionWeights, linears.apply(visionWeights));
        writeGraph(vision, dir.resolve(VariantFiles.VISION), req.inlineLimit(), meta, "vision", progress);

        GraphWeights lmWeights = new GraphWeights(source, req.precision(), req.compute());
        GraphBuilder decoder = OptDecoderGraph.build(config, lmWeights, linears.apply(lmWeights));
        writeGraph(decoder, dir.resolve(VariantFiles.DECODER), req.inlineLimit(), meta, "decoder", progress);

        for (String name : VariantFiles.SIDECARS) {
            Path src = req.checkpointDir().resolve(name);
            if (Files.isRegularFile(src)) {
                Files.copy(src, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        List<Manifest.FileEntry> files = new ArrayList<>();
        try (var listing = Files.list(dir)) {
            for (Path p : listing.sorted().toList()) {
                String name = p.getFileName().toString();
                if (Files.isRegularFile(p) && !name.equals(Manifest.FILE_NAME)) {
                    files.add(new Manifest.FileEntry(name, Files.size(p), Hashing.sha256(p)));
                }
            }
        }
        Map<String, Manifest.Component> components = new LinkedHashMap<>();
        components.put("vision", new Manifest.Component(VariantFiles.VISION, cpuCompute, cudaCompute));
        components.put("decoder", new Manifest.Component(VariantFiles.DECODER, cpuCompute, cudaCompute));
        Manifest m = new Manifest(Manifest.SCHEMA, req.modelName(), req.variantName(), req.variantName(),
                new Manifest.Source(req.checkpointDir().toAbsolutePath().toString(), sourceHash(ckpt, req.checkpointDir()), "safetensors"),
                method, calibration, components, files, Instant.now().toString(), Version.current(), Map.of(), Map.of());
        ManifestIo.write(dir, m);
        return m;
    }

    private static void writeGraph(GraphBuilder g, Path file, long inlineLimit, Map<String, String> meta,
                                   String step, ProgressListener progress) throws IOException {
        long total = 0;
        for (TensorData t : g.initializers().values()) {
            total += t.byteSize();
        }
        long threshold = total > inlineLimit ? 1024 : Long.MAX_VALUE;
        long all = total;
        new OnnxModelWriter(threshold, meta).write(g, file, bytes -> progress.progress(step, bytes, all));
    }

    /** Config plus weight files, in name order. */
    private static String sourceHash(Checkpoint ckpt, Path dir) throws IOException {
        List<Path> files = new ArrayList<>(ckpt.files());
        files.add(dir.resolve("config.json"));
        files.sort(null);
        return Hashing.sha256(files);
    }
}
