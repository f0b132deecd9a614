package dev.blip2serve.serve.model;

import dev.blip2serve.engine.Blip2Model;
import dev.blip2serve.engine.CaptionBatch;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.generation.GenerationRequest;
import dev.blip2serve.generation.TokenListener;
import dev.blip2serve.image.DecodedImage;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.runtime.OrtOptions;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** A variant served by the ONNX Runtime engine ({@link Blip2Model}). */
public final class OrtCaptionModel implements CaptionModel {

    private static final int WARM_UP_TOKENS = 2;

    private final Blip2Model model;

    private OrtCaptionModel(Blip2Model model) {
        this.model = model;
    }

    /**
     * Opens a variant folder.
     *
     * @throws dev.blip2serve.repository.RepositoryException when the folder does not verify or load
     */
    public static OrtCaptionModel open(Path dir, OrtOptions options, boolean verify) {
        return new OrtCaptionModel(Blip2Model.open(dir, options, verify));
    }

    @Override
    public Manifest manifest() {
        return model.manifest();
    }

    @Override
    public float[] preprocess(DecodedImage image) {
        return model.preprocessor().preprocess(image);
    }

    @Override
    public Optional<int[]> resizeTarget() {
        var settings = model.preprocessor().settings();
        return settings.doResize() ? Optional.of(new int[] {settings.width(), settings.height()}) : Optional.empty();
    }

    @Override
    public int promptTokens(String prompt) {
        return model.tokenizer().encode(prompt).length;
    }

    @Override
    public int queryTokens() {
        return model.config().numQueryTokens();
    }

    @Override
    public int maxPositions() {
        return model.config().text().maxPositions();
    }

    @Override
    public GenerationParams generationParams(GenerationRequest request) {
        return model.generationParams(request);
    }

    @Override
    public CaptionBatch caption(List<float[]> pixels, List<String> prompts, GenerationParams params,
                                TokenListener listener) {
        return model.caption(pixels, prompts, params, listener);
    }

    @Override
    public String decode(long[] tokens) {
        return model.tokenizer().decode(tokens);
    }

    @Override
    public void warmUp() {
        // The vision graph's own size: right whether or not the preprocessor resizes.
        int side = model.config().vision().imageSize();
        byte[] white = new byte[side * side * 3];
        Arrays.fill(white, (byte) 255);
        float[] pixels = preprocess(DecodedImage.ofRgb(white, side, side));
        model.caption(List.of(pixels), List.of(""), model.defaultParams(WARM_UP_TOKENS));
    }

    @Override
    public void close() {
        model.close();
    }
}
