package dev.blip2serve.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An evaluation or calibration set: {@code {"items": [{"image", "references", "question"?, "answer"?}]}},
 * image paths relative to the JSON file (the shapes-blip2 {@code eval/eval.json} format).
 */
public record EvalDataset(String name, Path file, List<Item> items) {

    /** One image with its reference captions and an optional question. */
    public record Item(String id, Path image, List<String> references, String question, String answer) {
        public boolean hasQuestion() {
            return question != null && answer != null;
        }
    }

    /** Reads at most {@code limit} items (0 = all). Bad files are an {@link IllegalArgumentException} with a one-line reason. */
    public static EvalDataset read(Path file, int limit) {
        JsonNode root;
        try {
            if (Files.size(file) > (256L << 20)) {
                throw new IllegalArgumentException(file + ": larger than 256 MB");
            }
            root = JsonMapper.builder().build().readTree(file.toFile());
        } catch (JacksonException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage());
        }
        JsonNode items = root == null ? null : root.get("items");
        if (items == null || !items.isArray()) {
            throw new IllegalArgumentException(file + ": expected {\"items\": [...]}");
        }
        Path base = file.toAbsolutePath().getParent();
        List<Item> out = new ArrayList<>();
        for (int i = 0; i < items.size() && (limit <= 0 || out.size() < limit); i++) {
            JsonNode it = items.get(i);
            JsonNode image = it.get("image");
            if (image == null || !image.isString()) {
                throw new IllegalArgumentException(file + ": item " + i + " has no image");
            }
            List<String> refs = new ArrayList<>();
            JsonNode r = it.get("references");
            if (r != null && r.isArray()) {
                r.forEach(x -> refs.add(x.asString()));
            }
            String question = it.hasNonNull("question") ? it.get("question").asString() : null;
            String answer = it.hasNonNull("answer") ? it.get("answer").asString() : null;
            out.add(new Item(image.asString(), base.resolve(image.asString()), List.copyOf(refs), question, answer));
        }
        String name = base.getFileName() + "/" + file.getFileName();
        return new EvalDataset(name, file, List.copyOf(out));
    }
}
