package dev.blip2serve.bench;

import dev.blip2serve.image.DecodedImage;
import dev.blip2serve.image.ImageDecoder;
import dev.blip2serve.image.ImagePreprocessor;
import dev.blip2serve.image.ProcessorSettings;
import dev.blip2serve.image.TurboJpeg;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Times decode + preprocess of image files the way the service does it, next to libjpeg-turbo's own decode of the
 * same JPEG in the same run: TurboJPEG called directly (the decode alone, no color work or resize) and the {@code djpeg}
 * program (its wall time less that of an 8x8 file, i.e. less process start). Per file and round every method runs once,
 * in the same order, so drift on a shared machine hits them alike; medians and 90th percentiles over the rounds.
 */
public final class ImageBenchmark {

    /** Timings of one method over the rounds, in milliseconds. */
    public record Stats(double p50, double p90, int n) {
        static Stats of(double[] ms) {
            double[] s = ms.clone();
            Arrays.sort(s);
            return new Stats(s[(s.length - 1) / 2], s[(int) Math.ceil(0.9 * (s.length - 1))], s.length);
        }
    }

    /**
     * One file's results; JPEG-only columns are null for other formats.
     *
     * @param exact   decode + resize + normalize, the service's exact path (TurboJPEG where installed)
     * @param decode  the exact path's decode alone (to RGB, oriented)
     * @param rest    resize + normalize of the decoded image alone
     * @param turbo   TurboJPEG's decode alone, called directly (native buffer, then one copy to the heap)
     * @param djpeg   {@code djpeg -dct int} less its start-up, or null where djpeg is not installed
     * @param fast    decode with DCT scaling to the smallest size not below the input, then the exact resize
     * @param jdk     the exact path with the JDK's JPEG decoder (the fallback without libturbojpeg0)
     */
    public record Row(String file, String format, long bytes, int width, int height, Stats exact, Stats decode,
                      Stats rest, Stats turbo, Stats djpeg, Stats fast, Stats jdk) {

        /** exact / (TurboJPEG decode + resize): the 1 MP goal is at most 1.3. */
        public Double ratioToTurbo() {
            return turbo == null ? null : exact.p50() / (turbo.p50() + rest.p50());
        }
    }

    private final ProcessorSettings settings;
    private final int warmup;
    private final int rounds;
    private final Consumer<String> log;

    /**
     * @param settings the model's preprocessing (its input size decides the resize and the DCT scale)
     * @param warmup   untimed rounds first (JIT)
     * @param rounds   timed rounds
     */
    public ImageBenchmark(ProcessorSettings settings, int warmup, int rounds, Consumer<String> log) {
        this.settings = settings;
        this.warmup = warmup;
        this.rounds = rounds;
        this.log = log;
    }

    /** Times every file; JPEG comparisons need libturbojpeg0 (TurboJPEG) and use djpeg when it is on the PATH. */
    public List<Row> run(List<Path> files, Path djpegStartupFile) throws IOException, InterruptedException {
        TurboJpeg turbo = TurboJpeg.system().orElse(null);
        ImagePreprocessor exact = new ImagePreprocessor(settings);
        ImagePreprocessor fast = turbo == null ? null : new ImagePreprocessor(settings,
                new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, true, turbo, true), ImagePreprocessor.Backend.TORCHVISION);
        ImagePreprocessor jdk = new ImagePreprocessor(settings,
                new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, true, null, false), ImagePreprocessor.Backend.TORCHVISION);
        Double startup = djpegStartupFile == null ? null : djpegMillis(djpegStartupFile);
        List<Row> rows = new ArrayList<>();
        for (Path file : files) {
            byte[] data = Files.readAllBytes(file);
            DecodedImage decoded = exact.decoder().decode(data);
            boolean jpeg = decoded.format().equals("jpeg");
            Map<String, Runnable> methods = new LinkedHashMap<>();
            methods.put("exact", () -> exact.preprocess(data));
            methods.put("decode", () -> exact.decoder().decode(data));
            methods.put("rest", () -> exact.preprocess(decoded));
            if (jpeg && turbo != null) {
                methods.put("turbo", () -> turbo.decode(data, false, h -> new int[] {1, 1}));
                methods.put("fast", () -> fast.preprocess(data));
            }
            if (jpeg) {
                methods.put("jdk", () -> jdk.preprocess(data));
            }
            Map<String, double[]> ms = new LinkedHashMap<>();
            methods.keySet().forEach(k -> ms.put(k, new double[rounds]));
            for (int r = -warmup; r < rounds; r++) {
                for (Map.Entry<String, Runnable> m : methods.entrySet()) {
                    long t0 = System.nanoTime();
                    m.getValue().run();
                    long t = System.nanoTime() - t0;
                    if (r >= 0) {
                        ms.get(m.getKey())[r] = t / 1e6;
                    }
                }
            }
            Stats djpeg = null;
            if (jpeg && startup != null) {
                double[] d = new double[Math.min(rounds, 15)];
                for (int i = 0; i < d.length; i++) {
                    d[i] = Math.max(0, djpegMillis(file) - startup);
                }
                djpeg = Stats.of(d);
            }
            Row row = new Row(file.getFileName().toString(), decoded.format(), data.length, decoded.originalWidth(),
                    decoded.originalHeight(), stats(ms, "exact"), stats(ms, "decode"), stats(ms, "rest"),
                    stats(ms, "turbo"), djpeg, stats(ms, "fast"), stats(ms, "jdk"));
            log.accept(String.format("%-22s exact %7.2f ms  decode %7.2f  resize+normalize %6.2f  turbojpeg %s  djpeg %s  "
                    + "dct-scaled %s  jdk %s", row.file(), row.exact().p50(), row.decode().p50(), row.rest().p50(),
                    fmt(row.turbo()), fmt(row.djpeg()), fmt(row.fast()), fmt(row.jdk())));
            rows.add(row);
        }
        return rows;
    }

    /** djpeg's median wall time over a few runs of one file (output discarded). */
    private static double djpegMillis(Path file) throws IOException, InterruptedException {
        double[] t = new double[7];
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder("djpeg", "-dct", "int", "-outfile", "/dev/null", file.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("djpeg did not finish on " + file);
            }
            if (p.exitValue() != 0) {
                throw new IOException("djpeg failed on " + file + " (exit " + p.exitValue() + ")");
            }
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        return Stats.of(t).p50();
    }

    private static Stats stats(Map<String, double[]> ms, String key) {
        return ms.containsKey(key) ? Stats.of(ms.get(key)) : null;
    }

    private static String fmt(Stats s) {
        return s == null ? "-" : String.format("%.2f", s.p50());
    }
}
