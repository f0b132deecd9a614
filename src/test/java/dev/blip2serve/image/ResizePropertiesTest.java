package dev.blip2serve.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The resampler's RGB fast path and its row-parallel split compute exactly what the generic per-channel loop
 * computes: an RGB image resized at once equals each of its channels resized as a one-channel image.
 */
class ResizePropertiesTest {

    @Property(tries = 60)
    void rgbEqualsItsChannelsResizedAlone(@ForAll @IntRange(min = 1, max = 700) int width,
                                          @ForAll @IntRange(min = 1, max = 700) int height,
                                          @ForAll @IntRange(min = 1, max = 300) int outWidth,
                                          @ForAll @IntRange(min = 1, max = 300) int outHeight,
                                          @ForAll boolean bicubic, @ForAll long seed) {
        TorchResize.Mode mode = bicubic ? TorchResize.Mode.BICUBIC : TorchResize.Mode.BILINEAR;
        byte[] rgb = new byte[width * height * 3];
        new Random(seed).nextBytes(rgb);
        byte[] resized = TorchResize.resize(rgb, width, height, 3, outWidth, outHeight, mode);
        for (int c = 0; c < 3; c++) {
            byte[] plane = new byte[width * height];
            for (int i = 0; i < plane.length; i++) {
                plane[i] = rgb[3 * i + c];
            }
            byte[] alone = TorchResize.resize(plane, width, height, 1, outWidth, outHeight, mode);
            for (int i = 0; i < alone.length; i++) {
                if (alone[i] != resized[3 * i + c]) {
                    assertThat(resized[3 * i + c]).as("channel %d, pixel %d", c, i).isEqualTo(alone[i]);
                }
            }
        }
    }

    @Property(tries = 20)
    void pillowRgbEqualsItsChannelsResizedAlone(@ForAll @IntRange(min = 1, max = 600) int width,
                                                @ForAll @IntRange(min = 1, max = 600) int height,
                                                @ForAll @IntRange(min = 1, max = 250) int size, @ForAll long seed) {
        byte[] rgb = new byte[width * height * 3];
        new Random(seed).nextBytes(rgb);
        byte[] resized = PilResize.resize(rgb, width, height, 3, size, size, PilResize.Filter.BICUBIC);
        for (int c = 0; c < 3; c++) {
            byte[] plane = new byte[width * height];
            for (int i = 0; i < plane.length; i++) {
                plane[i] = rgb[3 * i + c];
            }
            byte[] alone = PilResize.resize(plane, width, height, 1, size, size, PilResize.Filter.BICUBIC);
            for (int i = 0; i < alone.length; i++) {
                if (alone[i] != resized[3 * i + c]) {
                    assertThat(resized[3 * i + c]).as("channel %d, pixel %d", c, i).isEqualTo(alone[i]);
                }
            }
        }
    }
}
