package dev.blip2serve.serve.model;

import dev.blip2serve.engine.CaptionBatch;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.generation.GenerationRequest;
import dev.blip2serve.generation.TokenListener;
import dev.blip2serve.image.DecodedImage;
import dev.blip2serve.repository.Manifest;
import java.util.List;
import java.util.Optional;

/**
 * What the service needs from a loaded variant. The ONNX Runtime engine is behind {@link OrtCaptionModel};
 * tests of the HTTP layer put a fake here. Implementations are thread-safe.
 */
public interface CaptionModel extends AutoCloseable {

    Manifest manifest();

    /** {@code pixel_values} of one image, [3, H, W]. */
    float[] preprocess(DecodedImage image);

    /**
     * The size {@link #preprocess} resizes to, {@code {width, height}}, for decoders that may reduce large JPEGs
     * while decoding (never below it); empty when preprocessing keeps the image's own size.
     */
    default Optional<int[]> resizeTarget() {
        return Optional.empty();
    }

    /** Tokens the prompt takes, BOS included. */
    int promptTokens(String prompt);

    /** Image query embeddings placed before the prompt. */
    int queryTokens();

    /** Longest sequence (queries + prompt + new tokens) the decoder has positions for. */
    int maxPositions();

    /**
     * The generation {@code request} asks for on this variant's checkpoint (its end and pad tokens, its default beam
     * length penalty): the same resolution the CLI uses, so both generate alike.
     */
    GenerationParams generationParams(GenerationRequest request);

    /**
     * Captions preprocessed images with their prompts ("" for a plain caption), one prompt per image, all with
     * the same parameters. Greedy search tells {@code listener} each new token of image i as it is picked;
     * beam search does not.
     */
    CaptionBatch caption(List<float[]> pixels, List<String> prompts, GenerationParams params, TokenListener listener);

    /** The text of new tokens, as captions are decoded (special tokens skipped, whitespace stripped). */
    String decode(long[] tokens);

    /** Runs one short caption of a blank image, so the first real request does not pay for lazy initialization. */
    void warmUp();

    @Override
    void close();
}
