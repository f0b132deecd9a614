package dev.blip2serve.serve.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.engine.CaptionBatch;
import dev.blip2serve.generation.GenerationParams;
import dev.blip2serve.generation.TokenListener;
import dev.blip2serve.image.DecodedImage;
import dev.blip2serve.image.ImageDecoder;
import dev.blip2serve.image.PilResize;
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
    void everyFormatIsDecodedAtWebSizeEachRoundThenAPhoneSizedImageIsPreprocessed() {
        Recording model = new Recording();
        RequestPathWarmUp.run(model, ImageDecoder.DEFAULT_MAX_PIXELS);
        assertThat(model.seen).hasSize(10); // 3 rounds x (baseline JPEG, progressive JPEG, PNG), then the 12 MP one
        assertThat(model.seen.subList(0, 9)).allSatisfy(d -> {
            assertThat(d.width()).isEqualTo(720);
            assertThat(d.height()).isEqualTo(480);
        });
        assertThat(model.seen.subList(0, 9).stream().map(DecodedImage::format).distinct())
                .containsExactlyInAnyOrder("jpeg", "png");
        DecodedImage photo = model.seen.get(9);
        assertThat(photo.width() * photo.height()).isEqualTo(4032 * 3024);
    }

    @Test
    void aPixelLimitBelowAPhoneSizedImageSkipsIt() {
        Recording model = new Recording();
        RequestPathWarmUp.run(model, 1_000_000);
        assertThat(model.seen).hasSize(9).allSatisfy(d -> assertThat(d.width()).isEqualTo(720));
    }

    /**
     * The resize of a real photo clamps below 0 and above 255 (bicubic over- and undershoot at hard edges); the
     * warm-up image must too, or the compiled resize meets its first clamp in a client's request (it did: the JIT's
     * never-taken branch became a deoptimization, 70-180 ms of the first request).
     */
    @Test
    void theWarmUpImageDrivesTheResizeIntoBothClamps() {
        DecodedImage decoded = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, true)
                .decode(RequestPathWarmUp.encode("jpeg", true));
        byte[] resized = PilResize.resize(decoded.rgb(), decoded.width(), decoded.height(), 3, 224, 224,
                PilResize.Filter.BICUBIC);
        for (int c = 0; c < 3; c++) {
            int min = 255;
            int max = 0;
            for (int i = c; i < resized.length; i += 3) {
                min = Math.min(min, resized[i] & 0xff);
                max = Math.max(max, resized[i] & 0xff);
            }
            assertThat(min).as("channel %d min", c).isZero();
            assertThat(max).as("channel %d max", c).isEqualTo(255);
        }
    }
}
