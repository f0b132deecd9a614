package dev.blip2serve.cli;

import ai.onnxruntime.OrtEnvironment;
import dev.blip2serve.bench.BenchReport;
import dev.blip2serve.bench.CaptionBenchmark;
import dev.blip2serve.bench.MemoryBandwidth;
import dev.blip2serve.eval.EvalDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bench}: caption speed and memory per variant, with the bandwidth floor and same-run ratios. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time variants: vision, prefill, ms per token, latency p50/p95 and captions/s per batch size, RSS, bytes on disk.")
final class BenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "variant folder; repeat to compare variants in one run")
    List<Path> models;

    @Option(names = "--dataset", defaultValue = "data/shapes-blip2/eval/eval.json", paramLabel = "JSON", description = "images to caption (the first 8)")
    Path dataset;

    @Option(names = "--batch-sizes", split = ",", defaultValue = "1,4,8")
    int[] batchSizes;

    @Option(names = "--new-tokens", defaultValue = "20")
    int newTokens;

    @Option(names = "--warmup", defaultValue = "2")
    int warmup;

    @Option(names = "--iterations", defaultValue = "10")
    int iterations;

    @Option(names = "--interleave", description = "load every variant and time them in rounds (one caption each, rotating "
            + "order) for paired ratios against the first --model; default: one variant after another")
    boolean interleave;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--bandwidth-mb", defaultValue = "1024", description = "buffer for the bandwidth measurement")
    int bandwidthMb;

    @Option(names = "--out", required = true, paramLabel = "PREFIX", description = "writes PREFIX.md and PREFIX.json")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (iterations < 1 || warmup < 0 || newTokens < 1) {
            throw new IllegalArgumentException("--iterations and --new-tokens must be >= 1, --warmup >= 0");
        }
        var err = spec.commandLine().getErr();
        List<Path> images = new ArrayList<>();
        for (EvalDataset.Item item : EvalDataset.read(dataset, 8).items()) {
            images.add(item.image());
        }
        int cores = Runtime.getRuntime().availableProcessors();
        double bandwidth = MemoryBandwidth.readBytesPerSecond(bandwidthMb, cores, 5);
        err.printf("memory read bandwidth: %.1f GB/s%n", bandwidth / 1e9);
        CaptionBenchmark.Results results = interleave
                ? CaptionBenchmark.runInterleaved(models, images, batchSizes, newTokens, warmup, iterations, runtime.options(), err::println)
                : CaptionBenchmark.run(models, images, batchSizes, newTokens, warmup, iterations, runtime.options(), err::println);
        BenchReport report = new BenchReport(machine(cores), "blip2-serve " + String.join(" ", spec.commandLine().getParseResult().originalArgs()),
                bandwidth, newTokens, results.variants(), results.paired());
        report.write(out);
        spec.commandLine().getOut().println("wrote " + out + ".md and " + out + ".json");
        return 0;
    }

    private static Map<String, Object> machine(int cores) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel());
        m.put("cores", cores);
        m.put("memory_gb", Math.round(((com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize() / 1e9));
        m.put("jdk", System.getProperty("java.vm.name") + " " + Runtime.version());
        m.put("onnxruntime", OrtEnvironment.getEnvironment().getVersion());
        m.put("date", java.time.LocalDate.now().toString());
        return m;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (java.io.IOException e) {
            return "unknown";
        }
        return "unknown";
    }
}
