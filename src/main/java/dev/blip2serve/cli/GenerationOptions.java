package dev.blip2serve.cli;

import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.generation.GenerationRequest;
import picocli.CommandLine.Option;

/** Generation options shared by {@code caption} and {@code eval}. */
final class GenerationOptions {

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
        return model.generationParams(new GenerationRequest(maxNewTokens, minNewTokens, numBeams, numCaptions,
                lengthPenalty, repetitionPenalty, stopAtNewline));
    }
}
