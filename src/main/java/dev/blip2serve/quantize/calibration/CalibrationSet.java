package dev.blip2serve.quantize.calibration;

import dev.blip2serve.eval.EvalDataset;
import dev.blip2serve.repository.Manifest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Calibration images with the text the language model reads after them: the first reference caption where an
 * item has one (teacher forcing), else nothing but BOS. Same JSON as the eval sets
 * ({@code {"items": [{"image", "references"}]}}).
 *
 * @param name   dataset name, e.g. {@code calib/calib.json}
 * @param items  the items used
 * @param sha256 over the JSON file, the number of items used, and every used image's bytes, in order
 */
public record CalibrationSet(String name, List<Item> items, String sha256) {

    /** One image and its LM text ("" for none). */
    public record Item(Path image, String text) {
    }

    /** Reads the first {@code limit} items (0 = all). */
    public static CalibrationSet read(Path json, int limit) throws IOException {
        EvalDataset data = EvalDataset.read(json, limit);
        if (data.items().isEmpty()) {
            throw new IllegalArgumentException(json + ": the calibration set has no items");
        }
        MessageDigest md = newDigest();
        md.update(Files.readAllBytes(json));
        md.update(("\nitems=" + data.items().size() + "\n").getBytes(StandardCharsets.UTF_8));
        byte[] buf = new byte[1 << 16];
        List<Item> items = new java.util.ArrayList<>();
        for (EvalDataset.Item it : data.items()) {
            try (InputStream in = Files.newInputStream(it.image())) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    md.update(buf, 0, n);
                }
            }
            items.add(new Item(it.image(), it.references().isEmpty() ? "" : it.references().getFirst()));
        }
        return new CalibrationSet(data.name(), List.copyOf(items), HexFormat.of().formatHex(md.digest()));
    }

    /** The manifest's record of this set. */
    public Manifest.Calibration manifestEntry() {
        return new Manifest.Calibration(name, items.size(), sha256);
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
