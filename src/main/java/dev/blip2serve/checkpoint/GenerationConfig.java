package dev.blip2serve.checkpoint;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The parts of {@code generation_config.json} that captioning uses.
 *
 * @param eosTokenIds tokens that end a caption
 */
public record GenerationConfig(int bosTokenId, int[] eosTokenIds, int padTokenId, int maxNewTokens,
                               int numBeams, double lengthPenalty, double repetitionPenalty) {

    /** Hugging Face's generation defaults for an OPT with BOS = EOS = 2, PAD = 1. */
    public static GenerationConfig defaults(Blip2Config.OptConfig text) {
        return new GenerationConfig(text.bosTokenId(), new int[] {text.eosTokenId()}, text.padTokenId(), 20, 1, 1.0, 1.0);
    }

    /** Reads {@code dir/generation_config.json}, or the defaults when the file is absent. */
    public static GenerationConfig read(Path dir, Blip2Config.OptConfig text) {
        Path file = dir.resolve("generation_config.json");
        GenerationConfig d = defaults(text);
        if (!Files.exists(file)) {
            return d;
        }
        ConfigJson c = ConfigJson.read(file);
        return new GenerationConfig(c.integer("bos_token_id", d.bosTokenId), c.ints("eos_token_id", d.eosTokenIds),
                c.integer("pad_token_id", d.padTokenId), c.integer("max_new_tokens", d.maxNewTokens),
                c.integer("num_beams", d.numBeams), c.number("length_penalty", d.lengthPenalty),
                c.number("repetition_penalty", d.repetitionPenalty));
    }
}
