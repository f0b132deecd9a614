package dev.blip2serve.bench;

import dev.blip2serve.checkpoint.Blip2Config;
import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.engine.CaptionBatch;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.runtime.OrtOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Times one variant: vision, prefill and per-token decode at fixed caption length (EOS forbidden until
 * {@code newTokens}), caption latency percentiles and captions per second per batch size, resident memory
 * and bytes on disk. Latencies are end to end from preprocessed pixels; image decoding is not included.
 */
public final class CaptionBenchmark {

    /** One batch size's figures (milliseconds). */
    public record BatchFigures(int batch, int iterations, double latencyP50, double latencyP95, double visionMs,
                               double prefillMs, double perTokenMs, double captionsPerSecond) {
    }

    /** One variant's figures. */
    public record VariantFigures(String variant, String precision, long bytesOnDisk, long decoderWeightBytes,
                                 long residentAfterLoad, double loadSeconds, List<BatchFigures> batches) {
    }

    private CaptionBenchmark() {
    }

    public static VariantFigures run(Path variantDir, List<Path> images, int[] batchSizes, int newTokens,
                                     int warmup, int iterations, OrtOptions ort, Consumer<String> log) throws Exception {
        long t0 = System.nanoTime();
        try (Blip2Model m = Blip2Model.open(variantDir, ort, false)) {
            double loadSeconds = (System.nanoTime() - t0) / 1e9;
            long rss = ProcessMemory.residentBytes();
            GenerationParams fixed = new GenerationParams(newTokens, newTokens, 1, 1, 1.0, 1.0,
                    m.generationConfig().eosTokenIds(), m.generationConfig().padTokenId());
            List<float[]> pixels = new ArrayList<>();
            for (Path p : images) {
                pixels.add(m.preprocessor().preprocess(Files.readAllBytes(p)));
            }
            List<BatchFigures> out = new ArrayList<>();
            for (int b : batchSizes) {
                List<float[]> batch = new ArrayList<>();
                for (int i = 0; i < b; i++) {
                    batch.add(pixels.get(i % pixels.size()));
                }
                List<String> prompts = java.util.Collections.nCopies(b, "");
                for (int i = 0; i < warmup; i++) {
                    m.caption(batch, prompts, fixed);
                }
                double[] latency = new double[iterations];
                double vision = 0;
                double prefill = 0;
                double decode = 0;
                long steps = 0;
                for (int i = 0; i < iterations; i++) {
                    long s = System.nanoTime();
                    CaptionBatch r = m.caption(batch, prompts, fixed);
                    latency[i] = (System.nanoTime() - s) / 1e6;
                    vision += r.visionNanos() / 1e6;
                    prefill += r.prefillNanos() / 1e6;
                    decode += r.decodeNanos() / 1e6;
                    steps += r.decodeSteps();
                }
                Arrays.sort(latency);
                double mean = Arrays.stream(latency).average().orElse(Double.NaN);
                BatchFigures f = new BatchFigures(b, iterations, percentile(latency, 50), percentile(latency, 95),
                        vision / iterations, prefill / iterations, steps == 0 ? Double.NaN : decode / steps, b / (mean / 1000));
                log.accept(String.format("%s batch %d: p50 %.1f ms, vision %.1f ms, prefill %.1f ms, %.2f ms/token, %.2f captions/s",
                        variantDir.getFileName(), b, f.latencyP50(), f.visionMs(), f.prefillMs(), f.perTokenMs(), f.captionsPerSecond()));
                out.add(f);
            }
            Manifest man = m.manifest();
            Blip2Config.OptConfig text = m.config().text();
            return new VariantFigures(man.variant(), man.precision(), man.totalBytes(),
                    decoderWeightBytes(man, (long) text.vocabSize() * text.hiddenSize()), rss, loadSeconds, out);
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
