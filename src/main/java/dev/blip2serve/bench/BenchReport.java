package dev.blip2serve.bench;

import dev.blip2serve.json.ProjectJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A benchmark run written as Markdown and JSON: the machine, the command, every variant's figures, the
 * memory-bandwidth floor per token and the ratios the project tracks (computed within this one run), and for an
 * interleaved run the paired per-round ratios against the first variant.
 */
public record BenchReport(Map<String, Object> machine, String command, double bandwidthBytesPerSecond, int newTokens,
                          List<CaptionBenchmark.VariantFigures> variants, List<CaptionBenchmark.PairedRatio> paired) {

    /** Streaming the decoder's weights once per token at the measured bandwidth: the time floor. */
    public static double floorMsPerToken(long bytesPerToken, double bandwidth) {
        return bytesPerToken / bandwidth * 1000;
    }

    /** Ratios between variants of this run at batch 1 against fp32, and batch 8 over batch 1 per variant. */
    public Map<String, Double> ratios() {
        Map<String, Double> r = new LinkedHashMap<>();
        figures("fp32", 1).ifPresent(fp32 -> {
            for (CaptionBenchmark.VariantFigures v : variants) {
                if (v.precision().equals("fp32")) {
                    continue;
                }
                find(v, 1).ifPresent(w -> {
                    r.put("fp32_over_" + v.precision() + "_ms_per_token", fp32.perTokenMs() / w.perTokenMs());
                    r.put("fp32_over_" + v.precision() + "_vision_ms", fp32.visionMs() / w.visionMs());
                });
            }
        });
        for (CaptionBenchmark.VariantFigures v : variants) {
            var one = find(v, 1);
            var eight = find(v, 8);
            if (one.isPresent() && eight.isPresent()) {
                r.put(v.precision() + "_batch8_over_batch1_captions_per_s", eight.get().captionsPerSecond() / one.get().captionsPerSecond());
            }
        }
        return r;
    }

    private java.util.Optional<CaptionBenchmark.BatchFigures> figures(String variant, int batch) {
        return variants.stream().filter(v -> v.precision().equals(variant)).findFirst().flatMap(v -> find(v, batch));
    }

    private static java.util.Optional<CaptionBenchmark.BatchFigures> find(CaptionBenchmark.VariantFigures v, int batch) {
        return v.batches().stream().filter(b -> b.batch() == batch).findFirst();
    }

    public void write(Path prefix) throws IOException {
        Files.createDirectories(prefix.toAbsolutePath().getParent());
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("machine", machine);
        json.put("command", command);
        json.put("memory_read_bandwidth_gb_per_s", bandwidthBytesPerSecond / 1e9);
        json.put("new_tokens", newTokens);
        json.put("variants", variants);
        json.put("ratios", ratios());
        json.put("paired_ratios", paired);
        Files.writeString(Path.of(prefix + ".json"),
                ProjectJson.pretty().writeValueAsString(json) + "\n");
        Files.writeString(Path.of(prefix + ".md"), markdown());
    }

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Caption benchmark\n\n");
        md.append("Command: `").append(command).append("`\n\n");
        machine.forEach((k, v) -> md.append("- ").append(k).append(": ").append(v).append('\n'));
        md.append(String.format("- measured memory read bandwidth: %.1f GB/s%n", bandwidthBytesPerSecond / 1e9));
        md.append(String.format("- every caption is exactly %d new tokens (EOS forbidden until then); latency from preprocessed pixels%n%n", newTokens));
        md.append("| variant | batch | p50 ms | p95 ms | vision ms | prefill ms | ms/token | captions/s | floor ms/token | of floor |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (CaptionBenchmark.VariantFigures v : variants) {
            for (CaptionBenchmark.BatchFigures b : v.batches()) {
                double floor = floorMsPerToken(v.decoderWeightBytes(), bandwidthBytesPerSecond);
                md.append(String.format("| %s | %d | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %.3f | %.0f %% |%n", v.precision(), b.batch(),
                        b.latencyP50Ms(), b.latencyP95Ms(), b.visionMs(), b.prefillMs(), b.perTokenMs(), b.captionsPerSecond(),
                        floor, 100 * floor / b.perTokenMs()));
            }
        }
        md.append("\n| variant | bytes on disk | decoder bytes streamed per token | RSS after load | load s |\n|---|---|---|---|---|\n");
        for (CaptionBenchmark.VariantFigures v : variants) {
            md.append(String.format("| %s | %,d | %,d | %,d | %.1f |%n", v.precision(), v.bytesOnDisk(), v.decoderWeightBytes(),
                    v.residentBytesAfterLoad(), v.loadSeconds()));
        }
        List<String> lines = new ArrayList<>();
        ratios().forEach((k, val) -> lines.add(String.format("- %s: %.2f", k, val)));
        if (!lines.isEmpty()) {
            md.append("\nRatios (same run):\n\n").append(String.join("\n", lines)).append('\n');
        }
        if (!paired.isEmpty()) {
            md.append("\nPaired ratios (interleaved rounds: every variant loaded, one caption of each per round in a rotating ")
                    .append("order; baseline time over variant time per round, so > 1 means the variant is faster):\n\n")
                    .append("| baseline / variant | batch | measure | rounds | median | lowest … highest round |\n")
                    .append("|---|---|---|---|---|---|\n");
            for (CaptionBenchmark.PairedRatio r : paired) {
                md.append(String.format("| %s / %s | %d | %s | %d | %.3f | %.3f … %.3f |%n", r.baseline(), r.precision(),
                        r.batch(), r.measure(), r.rounds(), r.median(), r.low(), r.high()));
            }
        }
        md.append("\nFloor: the decoder's weights streamed once per token at the measured bandwidth (fp16 variants count"
                + " fp32 bytes on the CPU build, which casts them at load). RSS is the whole process after loading that"
                + " variant, variants loaded one after another in the listed order"
                + (paired.isEmpty() ? " (each closed before the next)" : " (all kept open: interleaved)") + ".\n");
        return md.toString();
    }
}
