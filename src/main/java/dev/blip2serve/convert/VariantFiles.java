package dev.blip2serve.convert;

import java.util.List;

/** File names inside a variant folder. */
public final class VariantFiles {

    public static final String VISION = "vision.onnx";
    public static final String DECODER = "decoder.onnx";

    /** Checkpoint files copied next to the graphs so that a variant folder is self-contained. */
    public static final List<String> SIDECARS = List.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "preprocessor_config.json", "processor_config.json");

    private VariantFiles() {
    }
}
