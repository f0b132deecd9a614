package dev.blip2serve.serve.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The shapes-blip2 checkpoint bundled on the classpath, copied out to a folder the converter can map. The files
 * are opened one by one through the class loader by name, because a classpath folder cannot be listed inside a
 * fat jar; the shard names come from {@code model.safetensors.index.json}.
 */
public final class EmbeddedCheckpoint {

    /** The model name of the bundled checkpoint, and its folder in the repository. */
    public static final String MODEL = "shapes-blip2";
    static final String RESOURCE_DIR = "models/shapes-blip2/";
    static final String INDEX = "model.safetensors.index.json";
    static final List<String> FILES = List.of("config.json", "generation_config.json", "preprocessor_config.json",
            "processor_config.json", "tokenizer.json", "tokenizer_config.json");

    private EmbeddedCheckpoint() {
    }

    /**
     * Copies the checkpoint into {@code target} (created if needed).
     *
     * @throws IOException when the bundled checkpoint is missing or cannot be copied
     */
    public static void copyTo(Path target, ClassLoader loader) throws IOException {
        Files.createDirectories(target);
        List<String> names = new ArrayList<>(FILES);
        byte[] index = read(loader, INDEX);
        if (index != null) {
            names.add(INDEX);
            names.addAll(shards(index));
        } else {
            names.add("model.safetensors"); // a single-file checkpoint has no index
        }
        for (String name : names) {
            try (InputStream in = loader.getResourceAsStream(RESOURCE_DIR + name)) {
                if (in == null) {
                    if (FILES.contains(name) && !name.equals("config.json")) {
                        continue; // sidecars the converter can do without
                    }
                    throw new IOException("bundled checkpoint lacks " + RESOURCE_DIR + name);
                }
                Files.copy(in, target.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static byte[] read(ClassLoader loader, String name) throws IOException {
        try (InputStream in = loader.getResourceAsStream(RESOURCE_DIR + name)) {
            return in == null ? null : in.readAllBytes();
        }
    }

    /** Distinct shard file names of the index's weight map; names with a path are refused. */
    static List<String> shards(byte[] index) throws IOException {
        JsonNode map = JsonMapper.builder().build().readTree(index).path("weight_map");
        TreeSet<String> files = new TreeSet<>();
        for (JsonNode file : map) {
            String name = file.asString();
            if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
                throw new IOException("bundled index names an unexpected shard '" + name + "'");
            }
            files.add(name);
        }
        if (files.isEmpty()) {
            throw new IOException("bundled " + INDEX + " has an empty weight_map");
        }
        return List.copyOf(files);
    }
}
