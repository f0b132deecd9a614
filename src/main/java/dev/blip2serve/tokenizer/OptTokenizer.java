package dev.blip2serve.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * OPT's byte-level BPE from a checkpoint's {@code tokenizer.json}, through DJL's binding of Hugging Face
 * tokenizers (the same Rust code transformers uses). The post-processor prepends {@code </s>} (OPT's BOS);
 * decoding skips special tokens and strips, as BLIP-2's processor does.
 */
public final class OptTokenizer implements AutoCloseable {

    public static final String FILE = "tokenizer.json";

    private final HuggingFaceTokenizer tokenizer;

    private OptTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Loads {@code dir/tokenizer.json}. */
    public static OptTokenizer load(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": file not found");
        }
        try {
            return new OptTokenizer(HuggingFaceTokenizer.newInstance(file, Map.of(
                    "addSpecialTokens", "true", "padding", "false", "truncation", "false")));
        } catch (RuntimeException e) {
            throw new IOException(file + ": not a usable tokenizer: " + e.getMessage(), e);
        }
    }

    /** Prompt ids with BOS first. */
    public long[] encode(String text) {
        Encoding e = tokenizer.encode(text);
        return e.getIds();
    }

    /** Text of {@code ids}, special tokens skipped, surrounding whitespace stripped. */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true).strip();
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
