package dev.blip2serve.serve;

import dev.blip2serve.engine.CaptionBatch;
import dev.blip2serve.engine.CaptionText;
import dev.blip2serve.engine.ImageCaptions;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.generation.GenerationRequest;
import dev.blip2serve.generation.TokenListener;
import dev.blip2serve.image.DecodedImage;
import dev.blip2serve.repository.Manifest;
import dev.blip2serve.serve.model.CaptionModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A variant without ONNX Runtime: captions every image of a batch "a red circle" (and "a red square", ... for
 * n-best), streams the tokens of greedy captions, and records every call.
 */
public final class FakeCaptionModel implements CaptionModel {

    public static final String TEXT = "a red circle";

    private final Manifest manifest;
    volatile GenerationParams lastParams;
    volatile String lastPrompt;
    public volatile RuntimeException failWith;
    /** When set, a batch holding this prompt fails after its tokens were streamed (a request the engine chokes on). */
    public volatile String poison;
    /** When set, caption() signals {@code entered} and waits for {@code release}: holds a slot for 429 tests. */
    public volatile CountDownLatch entered;
    public volatile CountDownLatch release;

    /** One engine call: the batch's prompts and its parameters. */
    public record Call(List<String> prompts, GenerationParams params) {
    }

    /** Every engine call, in order. */
    public final List<Call> calls = new java.util.concurrent.CopyOnWriteArrayList<>();

    public FakeCaptionModel(String model, String variant) {
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
    public GenerationParams generationParams(GenerationRequest request) {
        return request.resolve(new int[] {2}, 1, 1.0);
    }

    @Override
    public CaptionBatch caption(List<float[]> pixels, List<String> prompts, GenerationParams params,
                                TokenListener listener) {
        lastParams = params;
        lastPrompt = prompts.getFirst();
        calls.add(new Call(List.copyOf(prompts), params));
        if (failWith != null) {
            throw failWith;
        }
        CountDownLatch in = entered;
        if (in != null) {
            in.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (listener.stopRequested()) { // as the real generator asks before each decoder pass
            throw new dev.blip2serve.generation.GenerationStoppedException(0);
        }
        List<ImageCaptions> images = new ArrayList<>();
        for (int item = 0; item < pixels.size(); item++) {
            List<CaptionText> texts = new ArrayList<>();
            for (int i = 0; i < params.numReturn(); i++) {
                long[] tokens = {10, 11, 12 + i};
                texts.add(new CaptionText(decode(tokens), tokens, -1.5 - i, -0.5 - i));
            }
            if (params.numBeams() == 1) {
                for (long t : texts.getFirst().tokens()) {
                    listener.onToken(item, t);
                }
            }
            images.add(new ImageCaptions(texts, promptTokens(prompts.get(item))));
        }
        if (poison != null && prompts.contains(poison)) {
            throw new IllegalStateException("poisoned batch");
        }
        return new CaptionBatch(images, 3_000_000, 1_000_000, 5_000_000, 3);
    }

    /** 10 = "a", 11 = "red", 12.. = the shapes; joined by spaces. */
    @Override
    public String decode(long[] tokens) {
        String[] shapes = {"circle", "square", "triangle", "diamond", "star", "cross", "ring", "heart"};
        List<String> words = new ArrayList<>();
        for (long t : tokens) {
            words.add(t == 10 ? "a" : t == 11 ? "red" : shapes[(int) t - 12]);
        }
        return String.join(" ", words);
    }

    @Override
    public void warmUp() {
    }

    /** True once {@link #close()} ran. */
    public volatile boolean closed;

    @Override
    public void close() {
        closed = true;
    }
}
