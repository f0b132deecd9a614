package dev.blip2serve.serve.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.engine.CaptionBatch;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.generation.TokenListener;
import dev.blip2serve.image.DecodedImage;
import dev.blip2serve.image.ImageDecoder;
import dev.blip2serve.repository.Manifest;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The request-path warm-up decodes real photo-sized JPEG (baseline, progressive) and PNG and preprocesses them. */
class RequestPathWarmUpTest {

    /** Records what the warm-up hands to preprocessing; nothing else may be called. */
    private static final class Recording implements CaptionModel {
        final List<DecodedImage> seen = new CopyOnWriteArrayList<>();

        @Override public Manifest manifest() { throw new UnsupportedOperationException(); }
        @Override public float[] preprocess(DecodedImage image) { seen.add(image); return new float[3]; }
        @Override public int promptTokens(String prompt) { throw new UnsupportedOperationException(); }
        @Override public int queryTokens() { throw new UnsupportedOperationException(); }
        @Override public int maxPositions() { throw new UnsupportedOperationException(); }
        @Override public GenerationParams generationParams(dev.blip2serve.generation.GenerationRequest r) {
            throw new UnsupportedOperationException();
        }
        @Override public CaptionBatch caption(List<float[]> p, List<String> q, GenerationParams g, TokenListener l) {
            throw new UnsupportedOperationException();
        }
        @Override public String decode(long[] tokens) { throw new UnsupportedOperationException(); }
        @Override public void warmUp() { throw new UnsupportedOperationException(); }
        @Override public void close() { }
    }

    @Test
    void everyFormatIsDecodedAtPhotoSizeEachRound() {
        Recording model = new Recording();
        RequestPathWarmUp.run(model, ImageDecoder.DEFAULT_MAX_PIXELS);
        assertThat(model.seen).hasSize(9); // 3 rounds x (baseline JPEG, progressive JPEG, PNG)
        assertThat(model.seen).allSatisfy(d -> {
            assertThat(d.width()).isEqualTo(720);
            assertThat(d.height()).isEqualTo(480);
        });
        assertThat(model.seen.stream().map(DecodedImage::format).distinct()).containsExactlyInAnyOrder("jpeg", "png");
    }
}
