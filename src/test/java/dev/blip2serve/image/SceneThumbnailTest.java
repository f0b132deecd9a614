package dev.blip2serve.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The scene summary: cell means, hand-checked differences, any image size. */
class SceneThumbnailTest {

    private static DecodedImage filled(int w, int h, int r, int g, int b) {
        byte[] rgb = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++) {
            rgb[i * 3] = (byte) r;
            rgb[i * 3 + 1] = (byte) g;
            rgb[i * 3 + 2] = (byte) b;
        }
        return DecodedImage.ofRgb(rgb, w, h);
    }

    @Test
    void blackAgainstWhiteIsOneAndAnImageAgainstItselfZero() {
        SceneThumbnail black = SceneThumbnail.of(filled(64, 48, 0, 0, 0));
        SceneThumbnail white = SceneThumbnail.of(filled(640, 480, 255, 255, 255));
        assertThat(black.difference(white)).isCloseTo(1.0, within(1e-6));
        assertThat(white.difference(white)).isZero();
    }

    @Test
    void aChangeOfColourAtEqualBrightnessCounts() {
        // pure red against pure green: in grey they would be far closer, in colour two channels differ fully
        SceneThumbnail red = SceneThumbnail.of(filled(32, 32, 255, 0, 0));
        SceneThumbnail green = SceneThumbnail.of(filled(32, 32, 0, 255, 0));
        assertThat(red.difference(green)).isCloseTo(2.0 / 3, within(1e-6));
    }

    @Test
    void aQuarterOfTheImageChangedIsAQuarterOfTheDifference() {
        DecodedImage base = filled(64, 64, 0, 0, 0);
        byte[] rgb = base.rgb().clone();
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                for (int c = 0; c < 3; c++) {
                    rgb[(y * 64 + x) * 3 + c] = (byte) 255;
                }
            }
        }
        double d = SceneThumbnail.of(base).difference(SceneThumbnail.of(DecodedImage.ofRgb(rgb, 64, 64)));
        assertThat(d).isCloseTo(0.25, within(1e-6));
    }

    @Test
    void imagesSmallerThanTheGridWork() {
        DecodedImage tiny = filled(3, 2, 10, 20, 30);
        SceneThumbnail t = SceneThumbnail.of(tiny);
        assertThat(t.difference(SceneThumbnail.of(filled(100, 100, 10, 20, 30)))).isCloseTo(0, within(1e-6));
        assertThat(SceneThumbnail.of(filled(1, 1, 255, 255, 255)).difference(t)).isPositive();
    }
}
