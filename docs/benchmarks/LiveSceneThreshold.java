// How far apart SceneThumbnail differences are for frames of the same scene and of different scenes, to choose
// blip2.live.scene-threshold. Single-file program against the project's classes:
//   ./mvnw -q -DskipTests compile && ./mvnw -q dependency:build-classpath -Dmdep.outputFile=target/cp.txt
//   java -cp target/classes:$(cat target/cp.txt) docs/benchmarks/LiveSceneThreshold.java [data/shapes-blip2/eval/images]
// Prints a Markdown report (used for docs/benchmarks/live-scene-threshold.md).
//
// Same scene: each eval image against itself after what a camera and the page do to a frame that did not change
// (JPEG re-encoding, sensor noise, a brightness step of the auto-exposure, a one-pixel shake, the page's path:
// upscaled to 480x480 as the camera would see it, then JPEG 0.8). Different scenes: every pair of distinct eval
// images (44,850 pairs), and the pairs whose images share their background colour (the hardest to tell apart).

import dev.blip2serve.image.DecodedImage;
import dev.blip2serve.image.ImageDecoder;
import dev.blip2serve.image.SceneThumbnail;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

public class LiveSceneThreshold {

    static final ImageDecoder DECODER = new ImageDecoder();

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "data/shapes-blip2/eval/images");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
        List<BufferedImage> images = new ArrayList<>();
        List<SceneThumbnail> thumbs = new ArrayList<>();
        List<Integer> backgrounds = new ArrayList<>();
        for (Path f : files) {
            BufferedImage img = ImageIO.read(f.toFile());
            images.add(img);
            thumbs.add(thumb(img));
            backgrounds.add(luma(img.getRGB(0, 0)) / 86); // white, gray or black
        }
        Random random = new Random(18);
        Map<String, UnaryOperator<BufferedImage>> same = new LinkedHashMap<>();
        same.put("JPEG q0.9", img -> jpegRoundTrip(img, 0.9f));
        same.put("JPEG q0.5", img -> jpegRoundTrip(img, 0.5f));
        same.put("noise sigma 3", img -> noise(img, 3, random));
        same.put("noise sigma 8", img -> noise(img, 8, random));
        same.put("brightness x1.05", img -> brightness(img, 1.05));
        same.put("shift 1 px", img -> shift(img, 1));
        same.put("page path: 480x480, noise 3, JPEG 0.8", img -> jpegRoundTrip(noise(scale(img, 480), 3, random), 0.8f));

        Map<String, double[]> rows = new LinkedHashMap<>();
        for (Map.Entry<String, UnaryOperator<BufferedImage>> e : same.entrySet()) {
            double[] d = new double[images.size()];
            for (int i = 0; i < images.size(); i++) {
                d[i] = thumbs.get(i).difference(thumb(e.getValue().apply(images.get(i))));
            }
            rows.put("same scene, " + e.getKey(), d);
        }
        List<Double> all = new ArrayList<>();
        List<Double> sameBackground = new ArrayList<>();
        for (int i = 0; i < thumbs.size(); i++) {
            for (int j = i + 1; j < thumbs.size(); j++) {
                double d = thumbs.get(i).difference(thumbs.get(j));
                all.add(d);
                if (backgrounds.get(i).equals(backgrounds.get(j))) {
                    sameBackground.add(d);
                }
            }
        }
        rows.put("different scenes, every pair", all.stream().mapToDouble(Double::doubleValue).toArray());
        rows.put("different scenes, same background", sameBackground.stream().mapToDouble(Double::doubleValue).toArray());

        StringBuilder out = new StringBuilder();
        out.append("Differences (SceneThumbnail.difference):\n\n");
        out.append("| frames | pairs | min | p1 | p5 | median | p99 | max |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        rows.forEach((name, d) -> row(out, name, d));
        double[] thresholds = {0.005, 0.01, 0.015, 0.02, 0.03, 0.05};
        out.append("\nShare of pairs on the wrong side of a threshold (same scene: captioned again, d >= t; different "
                + "scenes: skipped, d < t):\n\n| frames |");
        for (double t : thresholds) {
            out.append(" t = ").append(t).append(" |");
        }
        out.append("\n|---|").append("---:|".repeat(thresholds.length)).append("\n");
        rows.forEach((name, d) -> {
            boolean sameScene = name.startsWith("same");
            out.append("| ").append(name).append(" |");
            for (double t : thresholds) {
                long wrong = Arrays.stream(d).filter(v -> sameScene ? v >= t : v < t).count();
                out.append(String.format(" %.2f %% |", 100.0 * wrong / d.length));
            }
            out.append("\n");
        });
        System.out.print(out);
    }

    static void row(StringBuilder out, String name, double[] d) {
        double[] s = d.clone();
        Arrays.sort(s);
        out.append(String.format("| %s | %d | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |%n", name, s.length, s[0],
                q(s, 0.01), q(s, 0.05), q(s, 0.5), q(s, 0.99), s[s.length - 1]));
    }

    static double q(double[] sorted, double p) {
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))];
    }

    static SceneThumbnail thumb(BufferedImage img) throws Exception {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(img, "png", png);
        DecodedImage d = DECODER.decode(png.toByteArray());
        return SceneThumbnail.of(d);
    }

    static BufferedImage rgb(BufferedImage img) {
        BufferedImage out = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.drawImage(img, 0, 0, null);
        g.dispose();
        return out;
    }

    static BufferedImage jpegRoundTrip(BufferedImage img, float quality) {
        try {
            ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
            ImageWriteParam p = w.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(quality);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ImageOutputStream os = ImageIO.createImageOutputStream(bytes)) {
                w.setOutput(os);
                w.write(null, new IIOImage(rgb(img), null, null), p);
            }
            w.dispose();
            return ImageIO.read(new java.io.ByteArrayInputStream(bytes.toByteArray()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static BufferedImage noise(BufferedImage img, double sigma, Random random) {
        BufferedImage out = rgb(img);
        for (int y = 0; y < out.getHeight(); y++) {
            for (int x = 0; x < out.getWidth(); x++) {
                int p = out.getRGB(x, y);
                int r = clamp(((p >> 16) & 0xff) + random.nextGaussian() * sigma);
                int g = clamp(((p >> 8) & 0xff) + random.nextGaussian() * sigma);
                int b = clamp((p & 0xff) + random.nextGaussian() * sigma);
                out.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return out;
    }

    static BufferedImage brightness(BufferedImage img, double factor) {
        BufferedImage out = rgb(img);
        for (int y = 0; y < out.getHeight(); y++) {
            for (int x = 0; x < out.getWidth(); x++) {
                int p = out.getRGB(x, y);
                out.setRGB(x, y, (clamp(((p >> 16) & 0xff) * factor) << 16) | (clamp(((p >> 8) & 0xff) * factor) << 8)
                        | clamp((p & 0xff) * factor));
            }
        }
        return out;
    }

    static BufferedImage shift(BufferedImage img, int px) {
        BufferedImage out = rgb(img);
        Graphics2D g = out.createGraphics();
        g.drawImage(img, px, px, null);
        g.dispose();
        return out;
    }

    static BufferedImage scale(BufferedImage img, int side) {
        BufferedImage out = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(img, 0, 0, side, side, null);
        g.dispose();
        return out;
    }

    static int luma(int rgb) {
        return (((rgb >> 16) & 0xff) * 299 + ((rgb >> 8) & 0xff) * 587 + (rgb & 0xff) * 114) / 1000;
    }

    static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }
}
