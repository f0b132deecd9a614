package dev.blip2serve.generation;

import java.util.Arrays;

/**
 * What a caller (a CLI command, a REST route) asks of one generation. What it leaves open comes from the checkpoint's
 * {@code generation_config.json}, so that the CLI and every route of the service generate alike for the same options:
 * the tokens that end a caption, the pad token and, unless the caller sets it, the beam length penalty.
 *
 * @param lengthPenalty     beam length penalty, or {@code null} for the checkpoint's (Hugging Face's default: 1.0)
 * @param stopAtNewline     also end at OPT's newline token, as LAVIS does for BLIP-2 OPT
 */
public record GenerationRequest(int maxNewTokens, int minNewTokens, int numBeams, int numReturn, Double lengthPenalty,
                                double repetitionPenalty, boolean stopAtNewline) {

    /** OPT's "\n" token; LAVIS stops BLIP-2 OPT captions there. */
    public static final int OPT_NEWLINE_TOKEN = 50118;

    /**
     * The generation these options ask for on a checkpoint whose generation config says {@code eosTokenIds},
     * {@code padTokenId} and {@code checkpointLengthPenalty}.
     */
    public GenerationParams resolve(int[] eosTokenIds, int padTokenId, double checkpointLengthPenalty) {
        int[] eos = eosTokenIds;
        if (stopAtNewline && Arrays.stream(eos).noneMatch(t -> t == OPT_NEWLINE_TOKEN)) {
            eos = Arrays.copyOf(eos, eos.length + 1);
            eos[eos.length - 1] = OPT_NEWLINE_TOKEN;
        }
        return new GenerationParams(maxNewTokens, minNewTokens, numBeams, numReturn,
                lengthPenalty != null ? lengthPenalty : checkpointLengthPenalty, repetitionPenalty, eos, padTokenId);
    }
}
