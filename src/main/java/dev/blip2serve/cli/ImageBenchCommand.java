package dev.blip2serve.cli;

import dev.blip2serve.bench.FastPathEvaluation;
import dev.blip2serve.bench.ImageBenchmark;
import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.image.ImagePreprocessor;
import dev.blip2serve.runtime.OrtOptions;
import dev.blip2serve.image.LibHeif;
import dev.blip2serve.image.ProcessorSettings;
import dev.blip2serve.image.TurboJpeg;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** {@code bench-images}: decode + preprocess speed per file, against libjpeg-turbo's own decode of the same JPEGs. */
@Command(name = "bench-images", mixinStandardHelpOptions = true,
        description = "Time decode + resize + normalize of image files (exact path, DCT-scaled path, JDK fallback) next to "
                + "TurboJPEG's and djpeg's decode of the same JPEGs; writes PREFIX.md and PREFIX.json.")
final class ImageBenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--images", required = true, paramLabel = "DIR",
            description = "folder of images (docs/benchmarks/image-decode/make-images.py writes one); startup-8x8.jpg "
                    + "there times djpeg's process start")
    Path images;

    @Option(names = "--preprocessor", paramLabel = "JSON",
            description = "preprocessor_config.json of the model (default: BLIP-2's, 224x224 bicubic)")
    Path preprocessor;

    @Option(names = "--warmup", defaultValue = "5")
    int warmup;

    @Option(names = "--rounds", defaultValue = "20")
    int rounds;

    @Option(names = "--fast-path-images", paramLabel = "DIR",
            description = "also compare the DCT-scaled path with the exact one on the JPEGs in DIR (pixel_values, and "
                    + "greedy captions with --fast-path-model)")
    Path fastPathImages;

    @Option(names = "--fast-path-model", paramLabel = "DIR", description = "variant folder whose preprocessing and "
            + "captions the comparison uses (its preprocessor_config.json replaces --preprocessor there)")
    Path fastPathModel;

    @Option(names = "--out", required = true, paramLabel = "PREFIX", description = "writes PREFIX.md and PREFIX.json")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (rounds < 1 || warmup < 0) {
            throw new IllegalArgumentException("--rounds must be >= 1 and --warmup >= 0");
        }
        if (!Files.isDirectory(images)) {
            throw new IllegalArgumentException("--images " + images + " is not a folder");
        }
        ProcessorSettings settings = preprocessor != null ? ProcessorSettings.fromJson(preprocessor)
                : ProcessorSettings.fromJson(BLIP2_PREPROCESSOR, "BLIP-2 preprocessor_config.json");
        Path startup = images.resolve("startup-8x8.jpg");
        boolean djpeg = Files.isRegularFile(startup) && onPath("djpeg");
        List<Path> files;
        try (Stream<Path> s = Files.list(images)) {
            files = s.filter(Files::isRegularFile).filter(p -> !p.equals(startup))
                    .filter(p -> p.getFileName().toString().matches(".*\\.(jpg|jpeg|png|webp|heic|avif)"))
                    .sorted(ImageBenchCommand::bySize).toList();
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no images in " + images);
        }
        var err = spec.commandLine().getErr();
        List<ImageBenchmark.Row> rows = new ImageBenchmark(settings, warmup, rounds, err::println)
                .run(files, djpeg ? startup : null);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("date", Instant.now().toString());
        report.put("command", "blip2-serve bench-images " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        report.put("machine", machine());
        report.put("resize_to", settings.width() + "x" + settings.height());
        report.put("turbojpeg", TurboJpeg.system().map(TurboJpeg::library).orElse("not installed"));
        report.put("libheif", LibHeif.system().map(LibHeif::version).orElse("not installed"));
        report.put("rows", rows);
        if (fastPathImages != null) {
            report.put("fast_path", fastPath(settings, err::println));
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build()
                .writeValue(Path.of(out + ".json").toFile(), report);
        Files.writeString(Path.of(out + ".md"), markdown(report, rows));
        spec.commandLine().getOut().println("wrote " + out + ".md and " + out + ".json");
        return 0;
    }

    private Map<String, Object> fastPath(ProcessorSettings settings, java.util.function.Consumer<String> log)
            throws IOException {
        List<Path> jpegs;
        try (Stream<Path> s = Files.list(fastPathImages)) {
            jpegs = s.filter(p -> p.getFileName().toString().endsWith(".jpg")).sorted().toList();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("images", fastPathImages.toString());
        Map<String, Object> pixels = new LinkedHashMap<>();
        pixels.put("224x224 (BLIP-2), the benchmark photos", FastPathEvaluation.run(files(images), new ImagePreprocessor(settings),
                null, 0, log));
        out.put("pixels_only", pixels);
        if (fastPathModel != null) {
            try (Blip2Model model = Blip2Model.open(fastPathModel, OrtOptions.cpu(), false)) {
                out.put("model", fastPathModel.toString());
                out.put("with_captions", FastPathEvaluation.run(jpegs, model.preprocessor(), model, 24, log));
            }
        }
        return out;
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("\\d.*\\.jpg")).sorted().toList();
        }
    }

    static final String BLIP2_PREPROCESSOR = """
            {"do_convert_rgb": true, "do_normalize": true, "do_rescale": true, "do_resize": true,
             "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
             "image_processor_type": "BlipImageProcessor", "resample": 3, "rescale_factor": 0.00392156862745098,
             "size": {"height": 224, "width": 224}}""";

    private static String markdown(Map<String, Object> report, List<ImageBenchmark.Row> rows) {
        StringBuilder md = new StringBuilder();
        md.append("# Image decode + preprocess (`bench-images`)\n\n");
        md.append("| | |\n|---|---|\n");
        for (String k : List.of("date", "command", "machine", "resize_to", "turbojpeg", "libheif")) {
            md.append("| ").append(k).append(" | ").append(report.get(k)).append(" |\n");
        }
        md.append("\nMilliseconds, median (p90) over the rounds. *exact* = decode + resize + normalize as the service "
                + "does it; *turbojpeg* = TurboJPEG's decode alone, called directly; *djpeg* = `djpeg -dct int` less its "
                + "process start; *ratio* = exact / (turbojpeg + resize); *dct-scaled* = the optional fast path; "
                + "*jdk* = the exact path with the JDK's JPEG decoder (the fallback).\n\n");
        md.append("| file | bytes | size | exact | decode | resize + normalize | turbojpeg | djpeg | ratio | dct-scaled | jdk |\n");
        md.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (ImageBenchmark.Row r : rows) {
            md.append(String.format("| %s | %,d | %dx%d | %s | %s | %s | %s | %s | %s | %s | %s |%n", r.file(), r.bytes(),
                    r.width(), r.height(), cell(r.exact()), cell(r.decode()), cell(r.rest()), cell(r.turbo()),
                    cell(r.djpeg()), r.ratioToTurbo() == null ? "-" : String.format("%.2f", r.ratioToTurbo()),
                    cell(r.fast()), cell(r.jdk())));
        }
        if (report.get("fast_path") instanceof Map<?, ?> fp) {
            md.append("\nDCT-scaled fast path against the exact path (`pixel_values` differences in normalized units; "
                    + "captions greedy, 24 tokens):\n\n```\n");
            fp.forEach((k, v) -> md.append(k).append(": ").append(v).append('\n'));
            md.append("```\n");
        }
        md.append("\nGoals (issue 20):\n\n");
        for (ImageBenchmark.Row r : rows) {
            if (r.file().equals("1mp-baseline.jpg") && r.ratioToTurbo() != null) {
                md.append(String.format("- 1 MP baseline JPEG: exact / (TurboJPEG decode + resize) = %.2f, goal <= 1.3: %s%n",
                        r.ratioToTurbo(), r.ratioToTurbo() <= 1.3 ? "**met**" : "**missed**"));
            }
            if (r.file().equals("12mp-baseline.jpg")) {
                md.append(String.format("- 12 MP baseline JPEG, exact path: %.1f ms, goal <= 60 ms: %s%n", r.exact().p50(),
                        r.exact().p50() <= 60 ? "**met**" : "**missed**"));
            }
        }
        return md.toString();
    }

    private static String cell(ImageBenchmark.Stats s) {
        return s == null ? "-" : String.format("%.2f (%.2f)", s.p50(), s.p90());
    }

    /** 12mp before 3mp: by the number in front of "mp", then by name. */
    private static int bySize(Path a, Path b) {
        int c = Double.compare(mp(a), mp(b));
        return c != 0 ? c : a.getFileName().toString().compareTo(b.getFileName().toString());
    }

    private static double mp(Path p) {
        String n = p.getFileName().toString();
        int i = n.indexOf("mp");
        try {
            return i > 0 ? Double.parseDouble(n.substring(0, i)) : Double.MAX_VALUE;
        } catch (NumberFormatException e) {
            return Double.MAX_VALUE;
        }
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        return path != null && Stream.of(path.split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, program)));
    }

    private static String machine() throws IOException {
        String load = Files.isReadable(Path.of("/proc/loadavg")) ? Files.readString(Path.of("/proc/loadavg")).strip() : "?";
        return Runtime.getRuntime().availableProcessors() + " cores, JDK " + Runtime.version() + ", load average " + load;
    }
}
