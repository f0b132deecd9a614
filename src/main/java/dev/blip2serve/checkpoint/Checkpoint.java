package dev.blip2serve.checkpoint;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The weights of a Hugging Face checkpoint folder: one {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json}. Tensors stay memory-mapped; {@link #floats(String)} copies one
 * tensor at a time, so converting a 15 GB checkpoint never holds more than one tensor on the heap.
 */
public final class Checkpoint implements AutoCloseable {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path dir;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> owner;

    private Checkpoint(Path dir, List<SafetensorsFile> files, Map<String, SafetensorsFile> owner) {
        this.dir = dir;
        this.files = files;
        this.owner = owner;
    }

    /** Opens every weight file of the checkpoint folder {@code dir} and checks that the index agrees with the shards. */
    public static Checkpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(dir, "not a checkpoint directory");
        }
        Path index = dir.resolve(INDEX_FILE);
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(index)) {
            return openSharded(dir, index);
        }
        if (Files.isRegularFile(single)) {
            SafetensorsFile f = SafetensorsFile.open(single);
            Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
            f.tensors().keySet().forEach(n -> owner.put(n, f));
            return new Checkpoint(dir, List.of(f), Collections.unmodifiableMap(owner));
        }
        throw new CheckpointException(dir, "no " + SINGLE_FILE + " or " + INDEX_FILE + " found");
    }

    private static Checkpoint openSharded(Path dir, Path index) {
        Map<String, String> weightMap = readWeightMap(index);
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                String shardName = e.getValue();
                Path shardPath = shardPath(dir, index, shardName);
                SafetensorsFile shard = shards.get(shardName);
                if (shard == null) {
                    shard = SafetensorsFile.open(shardPath);
                    shards.put(shardName, shard);
                }
                if (!shard.tensors().containsKey(e.getKey())) {
                    throw new CheckpointException(shard.path(), "index lists tensor '" + e.getKey() + "' but the shard does not hold it");
                }
                owner.put(e.getKey(), shard);
            }
        } catch (RuntimeException ex) {
            shards.values().forEach(SafetensorsFile::close);
            throw ex;
        }
        return new Checkpoint(dir, List.copyOf(shards.values()), Collections.unmodifiableMap(owner));
    }

    /** {@code dir/name}, for a plain file name only: no separators, no leading dot, no control characters. */
    private static Path shardPath(Path dir, Path index, String shardName) {
        boolean plain = !shardName.isEmpty() && !shardName.contains("/") && !shardName.contains("\\")
                && !shardName.startsWith(".") && shardName.chars().noneMatch(Character::isISOControl);
        if (plain) {
            try {
                Path p = dir.resolve(shardName);
                if (p.getParent() != null && p.getParent().equals(dir)) {
                    return p;
                }
            } catch (java.nio.file.InvalidPathException e) {
                // reported below
            }
        }
        throw new CheckpointException(index, "shard name '" + shardName + "' is not a plain file name");
    }

    private static Map<String, String> readWeightMap(Path index) {
        JsonNode root;
        try {
            if (Files.size(index) > SafetensorsFile.MAX_HEADER_BYTES) {
                throw new CheckpointException(index, "index file is larger than " + (SafetensorsFile.MAX_HEADER_BYTES >> 20) + " MB");
            }
            root = JsonMapper.builder().build().readTree(index.toFile());
        } catch (JacksonException e) {
            throw new CheckpointException(index, "not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new CheckpointException(index, "cannot read: " + e.getMessage());
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new CheckpointException(index, "missing weight_map");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            if (!e.getValue().isString()) {
                throw new CheckpointException(index, "weight_map entry '" + e.getKey() + "' is not a file name");
            }
            out.put(e.getKey(), e.getValue().asString());
        }
        return out;
    }

    public Path dir() {
        return dir;
    }

    /** All tensor names. */
    public Set<String> names() {
        return owner.keySet();
    }

    public boolean has(String name) {
        return owner.containsKey(name);
    }

    public Optional<TensorInfo> find(String name) {
        SafetensorsFile f = owner.get(name);
        return f == null ? Optional.empty() : Optional.of(f.tensors().get(name));
    }

    /** The header entry of {@code name}; a clear error when the checkpoint lacks it. */
    public TensorInfo info(String name) {
        return find(name).orElseThrow(() -> new CheckpointException(dir, "missing tensor '" + name + "'"));
    }

    /** One tensor widened to float32 (a fresh heap copy). */
    public float[] floats(String name) {
        return file(name).readFloats(info(name));
    }

    /** One tensor's stored bytes (mapped, not copied). */
    public MemorySegment bytes(String name) {
        return file(name).bytes(info(name));
    }

    /** The weight files, in index order. */
    public List<Path> files() {
        List<Path> out = new ArrayList<>();
        files.forEach(f -> out.add(f.path()));
        return out;
    }

    private SafetensorsFile file(String name) {
        SafetensorsFile f = owner.get(name);
        if (f == null) {
            throw new CheckpointException(dir, "missing tensor '" + name + "'");
        }
        return f;
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
