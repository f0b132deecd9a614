package dev.blip2serve.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The tiled copy of {@link Orientation} shows every output pixel from the source pixel PIL's transposes pick, for
 * sizes around and across the tile side. Pillow's own output for orientations 2..8 (exif2.jpg … exif8.jpg) is checked
 * end to end by {@code PillowReferenceTest}, a progressive EXIF-6 file by {@code TurboJpegParityTest}.
 */
class OrientationTest {

    @Property(tries = 300)
    void everyPixelComesFromPilsSourcePixel(@ForAll @IntRange(min = 1, max = 3 * Orientation.TILE + 5) int width,
                                            @ForAll @IntRange(min = 1, max = 3 * Orientation.TILE + 5) int height,
                                            @ForAll @IntRange(min = 1, max = 8) int orientation, @ForAll long seed) {
        byte[] rgb = new byte[width * height * 3];
        new Random(seed).nextBytes(rgb);
        DecodedImage d = Orientation.apply(rgb, width, height, orientation, "jpeg");
        boolean swap = orientation >= 5;
        assertThat(d.width()).isEqualTo(swap ? height : width);
        assertThat(d.height()).isEqualTo(swap ? width : height);
        assertThat(d.originalWidth()).isEqualTo(width);
        assertThat(d.orientation()).isEqualTo(orientation);
        assertThat(d.rgb()).isEqualTo(byDefinition(rgb, width, height, orientation));
    }

    @Test
    void aPhotoHeldUprightTurnsClockwise() {
        int width = 4032;
        int height = 3024;
        byte[] rgb = new byte[width * height * 3];
        new Random(6).nextBytes(rgb);
        assertThat(Orientation.apply(rgb, width, height, 6, "jpeg").rgb())
                .isEqualTo(byDefinition(rgb, width, height, 6));
    }

    @Test
    void otherValuesAreRefused() {
        assertThatThrownBy(() -> Orientation.apply(new byte[3], 1, 1, 9, "jpeg"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1..8");
    }

    /** Output (x, y) shows source (sx, sy), written out per orientation as PIL's Image.transpose defines it. */
    private static byte[] byDefinition(byte[] rgb, int width, int height, int orientation) {
        boolean swap = orientation >= 5;
        int ow = swap ? height : width;
        int oh = swap ? width : height;
        byte[] out = new byte[rgb.length];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int[] s = switch (orientation) {
                    case 1 -> new int[] {x, y};
                    case 2 -> new int[] {width - 1 - x, y};                // FLIP_LEFT_RIGHT
                    case 3 -> new int[] {width - 1 - x, height - 1 - y};   // ROTATE_180
                    case 4 -> new int[] {x, height - 1 - y};               // FLIP_TOP_BOTTOM
                    case 5 -> new int[] {y, x};                            // TRANSPOSE
                    case 6 -> new int[] {y, height - 1 - x};               // ROTATE_270
                    case 7 -> new int[] {width - 1 - y, height - 1 - x};   // TRANSVERSE
                    default -> new int[] {width - 1 - y, x};               // ROTATE_90
                };
                System.arraycopy(rgb, (s[1] * width + s[0]) * 3, out, (y * ow + x) * 3, 3);
            }
        }
        return out;
    }
}
