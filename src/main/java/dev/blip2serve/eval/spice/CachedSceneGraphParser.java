package dev.blip2serve.eval.spice;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A parser in front of another one that keeps the tuples of every caption it has seen, keyed by the SHA-256
 * of the parser's version and the caption text; with a file, in JSON lines appended after every batch, so
 * that scoring the same captions again needs no parsing and no model loading at all.
 *
 * <p>Line format: {@code {"key": "<sha-256 hex>", "caption": "...", "tuples": [["circle"], ["circle", "red"]]}}.
 * A line that cannot be read is skipped (that caption is parsed again).
 */
public final class CachedSceneGraphParser implements SceneGraphParser {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final SceneGraphParser parser;
    private final Path file;
    private final Map<String, Set<SpiceTuple>> cache = new LinkedHashMap<>();
    private int hits;
    private int misses;
    private String writeError;

    /** In memory only. */
    public CachedSceneGraphParser(SceneGraphParser parser) {
        this(parser, null);
    }

    /** Backed by {@code file} (read now if it exists, created on the first miss). */
    public CachedSceneGraphParser(SceneGraphParser parser, Path file) {
        this.parser = parser;
        this.file = file;
        if (file != null && Files.isRegularFile(file)) {
            load(file);
        }
    }

    @Override
    public String version() {
        return parser.version();
    }

    public int hits() {
        return hits;
    }

    public int misses() {
        return misses;
    }

    /** The cache key of a caption: SHA-256 of the parser version, a newline and the caption text (UTF-8). */
    public String key(String caption) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] digest = sha.digest((parser.version() + "\n" + (caption == null ? "" : caption))
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public synchronized List<Set<SpiceTuple>> parse(List<String> captions) {
        List<String> keys = new ArrayList<>(captions.size());
        Map<String, String> missing = new LinkedHashMap<>();
        for (String caption : captions) {
            String key = key(caption);
            keys.add(key);
            if (cache.containsKey(key)) {
                hits++;
            } else if (missing.putIfAbsent(key, caption == null ? "" : caption) == null) {
                misses++;
            } else {
                hits++;
            }
        }
        if (!missing.isEmpty()) {
            List<String> texts = new ArrayList<>(missing.values());
            List<Set<SpiceTuple>> parsed = parser.parse(texts);
            int i = 0;
            for (String key : missing.keySet()) {
                cache.put(key, Set.copyOf(parsed.get(i++)));
            }
            if (file != null) {
                append(missing, texts);
            }
        }
        List<Set<SpiceTuple>> out = new ArrayList<>(captions.size());
        for (String key : keys) {
            out.add(cache.get(key));
        }
        return out;
    }

    private void append(Map<String, String> missing, List<String> texts) {
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND)) {
                int i = 0;
                for (String key : missing.keySet()) {
                    ObjectNode line = JSON.createObjectNode();
                    line.put("key", key);
                    line.put("caption", texts.get(i++));
                    ArrayNode tuples = line.putArray("tuples");
                    for (SpiceTuple t : sorted(cache.get(key))) {
                        ArrayNode words = tuples.addArray();
                        t.words().forEach(words::add);
                    }
                    w.write(JSON.writeValueAsString(line));
                    w.newLine();
                }
            }
        } catch (IOException e) {
            // a read-only home must not cost the score: the tuples stay in memory
            writeError = "cannot write the SPICE cache " + file + ": " + e.getMessage();
        }
    }

    /** Why the last write to the cache file failed, or null. */
    public String writeError() {
        return writeError;
    }

    private static List<SpiceTuple> sorted(Set<SpiceTuple> tuples) {
        List<SpiceTuple> list = new ArrayList<>(tuples);
        list.sort((a, b) -> a.size() != b.size() ? Integer.compare(a.size(), b.size())
                : String.join("\u0000", a.words()).compareTo(String.join("\u0000", b.words())));
        return list;
    }

    private void load(Path path) {
        List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the SPICE cache " + path + ": " + e.getMessage(), e);
        }
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode node = JSON.readTree(line);
                String key = node.get("key").asString();
                Set<SpiceTuple> tuples = new LinkedHashSet<>();
                for (JsonNode t : node.get("tuples")) {
                    List<String> words = new ArrayList<>();
                    t.forEach(w -> words.add(w.asString()));
                    tuples.add(new SpiceTuple(words));
                }
                cache.put(key, Set.copyOf(tuples));
            } catch (RuntimeException e) {
                // a torn or foreign line: parse that caption again
            }
        }
    }
}
