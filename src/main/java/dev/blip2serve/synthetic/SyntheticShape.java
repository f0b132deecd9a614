package dev.blip2serve.synthetic;

import java.util.List;
import java.util.Locale;

/**
 * The dimensions of a synthetic BLIP-2 (OPT) checkpoint. {@link #OPT_2_7B} and {@link #OPT_6_7B} are the
 * Hugging Face hub checkpoints {@code Salesforce/blip2-opt-2.7b} / {@code -6.7b}; {@link #TINY} has the same
 * structure with small dimensions, for tests.
 *
 * @param name            CLI name ({@code opt-2.7b}, {@code opt-6.7b}, {@code tiny})
 * @param lmNameOrPath    the {@code text_config._name_or_path} the hub config carries
 * @param crossAttentionFrequency a Q-Former layer {@code i} has cross-attention when {@code i % f == 0}
 */
public record SyntheticShape(String name, String lmNameOrPath,
                             int visionHidden, int visionIntermediate, int visionLayers, int visionHeads,
                             int imageSize, int patchSize,
                             int qformerHidden, int qformerIntermediate, int qformerLayers, int qformerHeads,
                             int crossAttentionFrequency, int queryTokens,
                             int textHidden, int textFfn, int textLayers, int textHeads, int vocabSize, int maxPositions) {

    /** ViT-g (EVA) 1408 wide, 39 layers; Q-Former 768 wide, 12 layers, 32 queries; OPT-2.7B. */
    public static final SyntheticShape OPT_2_7B = new SyntheticShape("opt-2.7b", "facebook/opt-2.7b",
            1408, 6144, 39, 16, 224, 14,
            768, 3072, 12, 12, 2, 32,
            2560, 10240, 32, 32, 50272, 2048);

    /** Same vision and Q-Former; OPT-6.7B (4096 wide, ffn 16384). */
    public static final SyntheticShape OPT_6_7B = new SyntheticShape("opt-6.7b", "facebook/opt-6.7b",
            1408, 6144, 39, 16, 224, 14,
            768, 3072, 12, 12, 2, 32,
            4096, 16384, 32, 32, 50272, 2048);

    /** The hub structure with small dimensions (OPT's full 50272 vocabulary kept: token ids behave as at scale). */
    public static final SyntheticShape TINY = new SyntheticShape("tiny", "synthetic/opt-tiny",
            64, 128, 3, 4, 32, 8,
            32, 64, 2, 4, 2, 8,
            64, 128, 2, 4, 50272, 128);

    public static final List<SyntheticShape> ALL = List.of(OPT_2_7B, OPT_6_7B, TINY);

    public SyntheticShape {
        check(visionHidden % visionHeads == 0, "vision hidden size not divisible by heads");
        check(imageSize % patchSize == 0, "image size not a multiple of the patch size");
        check(qformerHidden % qformerHeads == 0, "Q-Former hidden size not divisible by heads");
        check(textHidden % textHeads == 0, "OPT hidden size not divisible by heads");
        check(crossAttentionFrequency > 0, "cross-attention frequency must be positive");
    }

    private static void check(boolean ok, String problem) {
        if (!ok) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** The shape called {@code name} (case-insensitive). */
    public static SyntheticShape byName(String name) {
        for (SyntheticShape s : ALL) {
            if (s.name.equalsIgnoreCase(name.strip())) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown shape '" + name + "' (expected "
                + String.join(", ", ALL.stream().map(SyntheticShape::name).toList()) + ")");
    }

    /** Patches plus the class token. */
    public int visionTokens() {
        int side = imageSize / patchSize;
        return side * side + 1;
    }

    public boolean hasCrossAttention(int qformerLayer) {
        return qformerLayer % crossAttentionFrequency == 0;
    }

    @Override
    public String toString() {
        return name.toLowerCase(Locale.ROOT);
    }
}
