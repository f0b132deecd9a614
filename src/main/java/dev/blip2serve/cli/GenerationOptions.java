package dev.blip2serve.cli;

import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.generation.GenerationParams;
import java.util.Arrays;
import picocli.CommandLine.Option;

/** Generation options shared by {@code caption} and {@code eval}. */
final class GenerationOptions {

    /** OPT's "\n" token; LAVIS stops BLIP-2 OPT captions there. */
    static final int NEWLINE_TOKEN = 50118;

    @Option(names = "--num-beams", defaultValue = "1", description = "beam width; 1 = greedy (default: ${DEFAULT-VALUE})")
    int numBeams;

    @Option(names = "--num-captions", defaultValue = "1", description = "n-best captions to print (<= num-beams)")
    int numCaptions;

    @Option(names = "--min-new-tokens", defaultValue = "0", description = "EOS is forbidden before this many tokens")
    int minNewTokens;

    @Option(names = "--repetition-penalty", defaultValue = "1.0", description = "HF repetition penalty; 1 = off")
    double repetitionPenalty;

    @Option(names = "--length-penalty", description = "beam length penalty (default: the checkpoint's generation config, usually 1.0)")
    Double lengthPenalty;

    @Option(names = "--stop-at-newline", description = "also stop at the newline token, as LAVIS does for OPT")
    boolean stopAtNewline;

    GenerationParams params(Blip2Model model, int maxNewTokens) {
        var g = model.generationConfig();
        int[] eos = g.eosTokenIds();
        if (stopAtNewline) {
            eos = Arrays.copyOf(eos, eos.length + 1);
            eos[eos.length - 1] = NEWLINE_TOKEN;
        }
        return new GenerationParams(maxNewTokens, minNewTokens, numBeams, numCaptions,
                lengthPenalty != null ? lengthPenalty : g.lengthPenalty(), repetitionPenalty, eos, g.padTokenId());
    }
}
