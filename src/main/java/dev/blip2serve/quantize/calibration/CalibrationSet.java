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
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

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

    /**
     * Which items of the JSON calibrate.
     *
     * @param count items used (0 = all)
     * @param seed  null: the first {@code count}; else {@code count} items drawn without replacement by a shuffle
     *              with {@code new Random(seed)}, kept in file order (a calibration draw, to see how much a result
     *              depends on the images it was calibrated on)
     */
    public record Selection(int count, Long seed) {
        public Selection {
            if (count < 0) {
                throw new IllegalArgumentException("--calibration-limit must be >= 0, got " + count);
            }
            if (seed != null && count == 0) {
                throw new IllegalArgumentException("--calibration-seed draws --calibration-limit items: give a limit too");
            }
        }

        /** The first {@code count} items (0 = all). */
        public static Selection first(int count) {
            return new Selection(count, null);
        }

        /** {@code count} items drawn at random with {@code seed}. */
        public static Selection drawn(int count, long seed) {
            return new Selection(count, seed);
        }

        /** Picks from every item of the file, or, without a seed, from the first {@code count} already read. */
        private List<EvalDataset.Item> apply(List<EvalDataset.Item> all, Path json) {
            if (seed == null) {
                return all;
            }
            if (count > all.size()) {
                throw new IllegalArgumentException(json + ": cannot draw " + count + " of its " + all.size() + " items");
            }
            List<Integer> order = new ArrayList<>(IntStream.range(0, all.size()).boxed().toList());
            Collections.shuffle(order, new Random(seed));
            return order.subList(0, count).stream().sorted().map(all::get).toList();
        }
    }

    /** Reads the first {@code limit} items (0 = all). */
    public static CalibrationSet read(Path json, int limit) throws IOException {
        return read(json, Selection.first(limit));
    }

    /** Reads the selected items; the hash covers the JSON, the number of items used and their images in order. */
    public static CalibrationSet read(Path json, Selection selection) throws IOException {
        EvalDataset data = EvalDataset.read(json, selection.seed() == null ? selection.count() : 0);
        List<EvalDataset.Item> chosen = selection.apply(data.items(), json);
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException(json + ": the calibration set has no items");
        }
        MessageDigest md = newDigest();
        md.update(Files.readAllBytes(json));
        md.update(("\nitems=" + chosen.size() + "\n").getBytes(StandardCharsets.UTF_8));
        byte[] buf = new byte[1 << 16];
        List<Item> items = new ArrayList<>();
        for (EvalDataset.Item it : chosen) {
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
