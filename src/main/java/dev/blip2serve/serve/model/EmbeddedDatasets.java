package dev.blip2serve.serve.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The shapes-blip2 calibration set (128 images) and eval set (300 images) the jar carries beside the checkpoint
 * ({@code data/shapes-blip2} in the source tree, 4.1 MB), copied out for the quantize pipeline and the eval,
 * which read images from files. As with {@link EmbeddedCheckpoint}, a classpath folder cannot be listed inside a fat
 * jar: the images are those the JSON names.
 */
public final class EmbeddedDatasets {

    static final String RESOURCE_DIR = "datasets/shapes-blip2/";
    /** The eval set's name in manifests' {@code quality}. */
    public static final String EVAL_NAME = "shapes-blip2/eval";

    /** The copied sets' JSON files. */
    public record Paths(Path calibration, Path eval) {
    }

    private EmbeddedDatasets() {
    }

    /**
     * Copies both sets under {@code target} ({@code calib/calib.json}, {@code eval/eval.json} and their images).
     *
     * @throws IOException when the jar lacks them or a JSON names an image outside its folder
     */
    public static Paths copyTo(Path target, ClassLoader loader) throws IOException {
        return new Paths(copySet(target, loader, "calib/calib.json"), copySet(target, loader, "eval/eval.json"));
    }

    private static Path copySet(Path target, ClassLoader loader, String json) throws IOException {
        Path file = target.resolve(json);
        Files.createDirectories(file.getParent());
        copy(loader, json, file);
        JsonNode items = JsonMapper.builder().build().readTree(file.toFile()).path("items");
        String folder = json.substring(0, json.indexOf('/') + 1);
        for (JsonNode item : items) {
            String image = item.path("image").asString();
            if (image.isEmpty() || image.startsWith("/") || image.contains("..") || image.contains("\\")) {
                throw new IOException("bundled " + json + " names an unexpected image '" + image + "'");
            }
            Path out = file.getParent().resolve(image);
            Files.createDirectories(out.getParent());
            copy(loader, folder + image, out);
        }
        return file;
    }

    private static void copy(ClassLoader loader, String name, Path out) throws IOException {
        try (InputStream in = loader.getResourceAsStream(RESOURCE_DIR + name)) {
            if (in == null) {
                throw new IOException("the jar lacks the bundled " + RESOURCE_DIR + name);
            }
            Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
