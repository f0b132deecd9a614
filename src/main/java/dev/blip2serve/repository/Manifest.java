package dev.blip2serve.repository;

import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json} of one variant folder: the contract between convert/quantize, the service and eval.
 *
 * @param schema        manifest format version
 * @param model         model name (the repository folder)
 * @param precision     the variant's label: its sub-folder, what a request's {@code precision} selects, what the
 *                      metrics tag and {@code /v1/models} lists, e.g. {@code fp16}, {@code w4a16-all}
 * @param preset        what it was built as: the quantize preset ({@code w8a8}, {@code w4a16}, {@code w4a4-gaware},
 *                      ...) or the float format of convert ({@code fp32}, {@code fp16}, {@code fp16-compute}); equal
 *                      to the precision unless {@code quantize --name} chose another label
 * @param source        where the weights came from
 * @param method        how the variant was made, with its parameters (e.g. alpha, group size, scope)
 * @param calibration   the calibration set, or null for variants that need none
 * @param components    per graph: how it computes on CPU and on CUDA
 * @param files         every file of the variant with size and SHA-256
 * @param createdAt     ISO-8601 instant
 * @param toolVersion   blip2-serve version that wrote it
 * @param quality       measured quality (dataset name -> metric -> value), empty until eval writes it
 * @param latency       measured latency (setting -> milliseconds), empty until a benchmark writes it
 */
public record Manifest(int schema, String model, String precision, String preset, Source source, Method method,
                       Calibration calibration, Map<String, Component> components, List<FileEntry> files,
                       String createdAt, String toolVersion, Map<String, Map<String, Double>> quality,
                       Map<String, Double> latency) {

    /**
     * Written by this version. Schema 1 named the label {@code variant} and the preset {@code precision}; {@link
     * ManifestIo} still reads it (one word for the label since schema 2: docs/ARCHITECTURE.md, "Vocabulary").
     */
    public static final int SCHEMA = 2;
    public static final String FILE_NAME = "manifest.json";

    /** @param sha256 hash over the checkpoint's config and weight files, in name order */
    public record Source(String path, String sha256, String format) {
    }

    /** @param parameters method parameters as strings and numbers (alpha, group_size, scope, ...) */
    public record Method(String name, Map<String, Object> parameters) {
    }

    public record Calibration(String name, int count, String sha256) {
    }

    /** How one graph computes. */
    public record Component(String file, String cpu, String cuda) {
    }

    public record FileEntry(String name, long bytes, String sha256) {
    }

    /** Bytes of all the variant's files. */
    public long totalBytes() {
        return files.stream().mapToLong(FileEntry::bytes).sum();
    }
}
