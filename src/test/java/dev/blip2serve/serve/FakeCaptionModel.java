package dev.blip2serve.serve;

import dev.blip2serve.engine.CaptionBatch;
import dev.blip2serve.engine.CaptionText;
import dev.blip2serve.engine.ImageCaptions;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.image.DecodedImage;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.serve.model.CaptionModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A variant without ONNX Runtime: returns "a red circle" (and "a red square", ...) and records what it got. */
final class FakeCaptionModel implements CaptionModel {

    static final String TEXT = "a red circle";

    private final Manifest manifest;
    volatile GenerationParams lastParams;
    volatile String lastPrompt;
    volatile RuntimeException failWith;
    /** When set, caption() signals {@code entered} and waits for {@code release}: holds a slot for 429 tests. */
    volatile CountDownLatch entered;
    volatile CountDownLatch release;

    FakeCaptionModel(String model, String variant) {
        this.manifest = manifest(model, variant);
    }

    static Manifest manifest(String model, String variant) {
        return new Manifest(Manifest.SCHEMA, model, variant, variant,
                new Manifest.Source("/checkpoints/" + model, "abc", "safetensors"),
                new Manifest.Method("convert", Map.of("weights", variant)), null,
                Map.of("vision", new Manifest.Component("vision.onnx", "fp32 MatMul", "fp32 MatMul")),
                List.of(new Manifest.FileEntry("vision.onnx", 1000, "x"), new Manifest.FileEntry("decoder.onnx", 2345, "y")),
                "2025-01-01T00:00:00Z", "test", Map.of("shapes-eval", Map.of("cider", 0.9)), Map.of());
    }

    @Override
    public Manifest manifest() {
        return manifest;
    }

    @Override
    public float[] preprocess(DecodedImage image) {
        return new float[] {image.width(), image.height(), 0};
    }

    @Override
    public int promptTokens(String prompt) {
        return prompt.isBlank() ? 1 : prompt.strip().split("\\s+").length + 1;
    }

    @Override
    public int queryTokens() {
        return 16;
    }

    @Override
    public int maxPositions() {
        return 96;
    }

    @Override
    public int[] eosTokenIds() {
        return new int[] {2};
    }

    @Override
    public int padTokenId() {
        return 1;
    }

    @Override
    public CaptionBatch caption(List<float[]> pixels, List<String> prompts, GenerationParams params) {
        lastParams = params;
        lastPrompt = prompts.getFirst();
        if (failWith != null) {
            throw failWith;
        }
        if (entered != null) {
            entered.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        String[] shapes = {"circle", "square", "triangle", "diamond", "star", "cross", "ring", "heart"};
        List<CaptionText> texts = new ArrayList<>();
        for (int i = 0; i < params.numReturn(); i++) {
            texts.add(new CaptionText("a red " + shapes[i], new long[] {10, 11, 12 + i}, -1.5 - i, -0.5 - i));
        }
        return new CaptionBatch(List.of(new ImageCaptions(texts, promptTokens(prompts.getFirst()))),
                3_000_000, 1_000_000, 5_000_000, 3);
    }

    @Override
    public void warmUp() {
    }

    @Override
    public void close() {
    }
}
