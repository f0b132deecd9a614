package dev.blip2serve.bench;

import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.engine.CaptionBatch;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.runtime.OrtOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

/**
 * Times variants: vision, prefill and per-token decode at fixed caption length (EOS forbidden until
 * {@code newTokens}), caption latency percentiles and captions per second per batch size, resident memory
 * and bytes on disk. Latencies are end to end from preprocessed pixels; image decoding is not included.
 *
 * <p>Two schedules: {@link #run} times one variant after another (its RSS is the process's with that variant
 * loaded); {@link #runInterleaved} loads every variant and times them in rounds, one caption of each per round in
 * a rotating order, so that a slow phase of a shared machine hits all of them alike and each round gives a paired
 * ratio against the first variant.
 */
public final class CaptionBenchmark {

    /** One batch size's figures (milliseconds). */
    public record BatchFigures(int batch, int iterations, double latencyP50Ms, double latencyP95Ms, double visionMs,
                               double prefillMs, double perTokenMs, double captionsPerSecond) {
    }

    /** One variant's figures. */
    public record VariantFigures(String precision, String preset, long bytesOnDisk, long decoderWeightBytes,
                                 long residentBytesAfterLoad, double loadSeconds, List<BatchFigures> batches) {
    }

    /**
     * The ratio {@code baseline / precision} of one measure (two variants by label), per round of an interleaved run.
     *
     * @param measure "ms_per_token" or "latency_ms"
     * @param median  median over the rounds; {@code low} and {@code high} the smallest and largest round
     */
    public record PairedRatio(String baseline, String precision, int batch, String measure, int rounds, double median,
                              double low, double high) {
    }

    /** Every variant's figures and, for an interleaved run, the paired ratios (empty otherwise). */
    public record Results(List<VariantFigures> variants, List<PairedRatio> paired) {
    }

    /** One timed caption of a batch (milliseconds). */
    record Sample(double latencyMs, double visionMs, double prefillMs, double decodeMs, int steps) {
        double perTokenMs() {
            return steps == 0 ? Double.NaN : decodeMs / steps;
        }
    }

    private CaptionBenchmark() {
    }

    /** Times each variant on its own, one after another. */
    public static Results run(List<Path> variantDirs, List<Path> images, int[] batchSizes, int newTokens, int warmup,
                              int iterations, OrtOptions ort, Consumer<String> log) throws Exception {
        List<VariantFigures> out = new ArrayList<>();
        for (Path dir : variantDirs) {
            try (Subject s = Subject.open(dir, images, newTokens, ort)) {
                List<BatchFigures> batches = new ArrayList<>();
                for (int b : batchSizes) {
                    s.warmUp(b, warmup);
                    List<Sample> samples = new ArrayList<>();
                    for (int i = 0; i < iterations; i++) {
                        samples.add(s.caption(b));
                    }
                    batches.add(s.summarize(b, samples, log));
                }
                out.add(s.figures(batches));
            }
        }
        return new Results(out, List.of());
    }

    /** Loads every variant, then times them in rounds (a rotating order) and pairs each round against the first. */
    public static Results runInterleaved(List<Path> variantDirs, List<Path> images, int[] batchSizes, int newTokens,
                                         int warmup, int iterations, OrtOptions ort, Consumer<String> log) throws Exception {
        List<Subject> subjects = new ArrayList<>();
        try {
            for (Path dir : variantDirs) {
                subjects.add(Subject.open(dir, images, newTokens, ort));
            }
            int n = subjects.size();
            List<List<BatchFigures>> batches = new ArrayList<>();
            subjects.forEach(s -> batches.add(new ArrayList<>()));
            List<PairedRatio> paired = new ArrayList<>();
            for (int b : batchSizes) {
                for (Subject s : subjects) {
                    s.warmUp(b, warmup);
                }
                Sample[][] rounds = new Sample[iterations][n];
                for (int i = 0; i < iterations; i++) {
                    for (int k = 0; k < n; k++) {
                        int v = (i + k) % n;
                        rounds[i][v] = subjects.get(v).caption(b);
                    }
                }
                for (int v = 0; v < n; v++) {
                    List<Sample> samples = new ArrayList<>();
                    for (Sample[] round : rounds) {
                        samples.add(round[v]);
                    }
                    batches.get(v).add(subjects.get(v).summarize(b, samples, log));
                    if (v > 0) {
                        paired.add(pair(subjects.get(0).name(), subjects.get(v).name(), b, "ms_per_token", rounds, v,
                                Sample::perTokenMs));
                        paired.add(pair(subjects.get(0).name(), subjects.get(v).name(), b, "latency_ms", rounds, v,
                                Sample::latencyMs));
                    }
                }
            }
            List<VariantFigures> out = new ArrayList<>();
            for (int v = 0; v < n; v++) {
                out.add(subjects.get(v).figures(batches.get(v)));
            }
            return new Results(out, paired);
        } finally {
            for (Subject s : subjects) {
                s.close();
            }
        }
    }

    private static PairedRatio pair(String baseline, String variant, int batch, String measure, Sample[][] rounds, int v,
                                    java.util.function.ToDoubleFunction<Sample> f) {
        double[] r = new double[rounds.length];
        for (int i = 0; i < rounds.length; i++) {
            r[i] = f.applyAsDouble(rounds[i][0]) / f.applyAsDouble(rounds[i][v]);
        }
        Arrays.sort(r);
        double median = r.length % 2 == 1 ? r[r.length / 2] : (r[r.length / 2 - 1] + r[r.length / 2]) / 2;
        return new PairedRatio(baseline, variant, batch, measure, r.length, median, r[0], r[r.length - 1]);
    }

    /** One variant opened for timing: the model, the preprocessed images and fixed-length generation. */
    private static final class Subject implements AutoCloseable {
        private final Blip2Model model;
        private final double loadSeconds;
        private final long residentAfterLoad;
        private final List<float[]> pixels = new ArrayList<>();
        private final GenerationParams fixed;

        private Subject(Blip2Model model, double loadSeconds, int newTokens) {
            this.model = model;
            this.loadSeconds = loadSeconds;
            this.residentAfterLoad = ProcessMemory.residentBytes();
            this.fixed = new GenerationParams(newTokens, newTokens, 1, 1, 1.0, 1.0,
                    model.generationConfig().eosTokenIds(), model.generationConfig().padTokenId());
        }

        static Subject open(Path dir, List<Path> images, int newTokens, OrtOptions ort) throws IOException {
            long t0 = System.nanoTime();
            Blip2Model model = Blip2Model.open(dir, ort, false);
            try {
                Subject s = new Subject(model, (System.nanoTime() - t0) / 1e9, newTokens);
                for (Path p : images) {
                    s.pixels.add(model.preprocessor().preprocess(Files.readAllBytes(p)));
                }
                return s;
            } catch (IOException | RuntimeException e) {
                model.close();
                throw e;
            }
        }

        String name() {
            return model.manifest().precision();
        }

        void warmUp(int batch, int times) {
            for (int i = 0; i < times; i++) {
                caption(batch);
            }
        }

        Sample caption(int batch) {
            List<float[]> images = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                images.add(pixels.get(i % pixels.size()));
            }
            long s = System.nanoTime();
            CaptionBatch r = model.caption(images, Collections.nCopies(batch, ""), fixed);
            return new Sample((System.nanoTime() - s) / 1e6, r.visionNanos() / 1e6, r.prefillNanos() / 1e6,
                    r.decodeNanos() / 1e6, r.decodeSteps());
        }

        BatchFigures summarize(int batch, List<Sample> samples, Consumer<String> log) {
            int n = samples.size();
            double[] latency = samples.stream().mapToDouble(Sample::latencyMs).sorted().toArray();
            double mean = Arrays.stream(latency).average().orElse(Double.NaN);
            long steps = samples.stream().mapToLong(Sample::steps).sum();
            double decode = samples.stream().mapToDouble(Sample::decodeMs).sum();
            BatchFigures f = new BatchFigures(batch, n, percentile(latency, 50), percentile(latency, 95),
                    samples.stream().mapToDouble(Sample::visionMs).sum() / n,
                    samples.stream().mapToDouble(Sample::prefillMs).sum() / n,
                    steps == 0 ? Double.NaN : decode / steps, batch / (mean / 1000));
            log.accept(String.format("%s batch %d: p50 %.1f ms, vision %.1f ms, prefill %.1f ms, %.2f ms/token, %.2f captions/s",
                    name(), batch, f.latencyP50Ms(), f.visionMs(), f.prefillMs(), f.perTokenMs(), f.captionsPerSecond()));
            return f;
        }

        VariantFigures figures(List<BatchFigures> batches) {
            Manifest man = model.manifest();
            Blip2Config.OptConfig text = model.config().text();
            return new VariantFigures(man.precision(), man.preset(), man.totalBytes(),
                    decoderWeightBytes(man, (long) text.vocabSize() * text.hiddenSize()), residentAfterLoad, loadSeconds,
                    List.copyOf(batches));
        }

        @Override
        public void close() {
            model.close();
        }
    }

    /**
     * Bytes of the decoder's weights as the CPU computes with them: what one decode step must stream from
     * memory. Files on disk, doubled where the manifest says fp16 weights are cast to fp32 at load, less the float
     * token-embedding table ({@code embeddingElements} numbers) where a quantized LM head leaves it to the token
     * lookup, which reads one row.
     */
    static long decoderWeightBytes(Manifest m, long embeddingElements) {
        long onDisk = m.files().stream().filter(f -> f.name().startsWith("decoder.onnx")).mapToLong(Manifest.FileEntry::bytes).sum();
        Manifest.Component decoder = m.components().get("decoder");
        long bytes = decoder != null && decoder.cpu().contains("cast to fp32") ? 2 * onDisk : onDisk;
        if (m.method() == null || !(m.method().parameters().get("lm_head") instanceof String head) || head.equals("float")) {
            return bytes;
        }
        long tableBytes = "fp16".equals(m.method().parameters().get("compute")) ? 2 : 4;
        return bytes - tableBytes * embeddingElements;
    }

    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
