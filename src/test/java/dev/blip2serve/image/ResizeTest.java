package dev.blip2serve.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Properties of both resamplers; bit-exactness against Pillow is in {@link PillowReferenceTest}. */
class ResizeTest {

    private static byte[] noise(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void sameSizeIsACopy() {
        byte[] src = noise(10 * 7 * 3, 1);
        byte[] out = PilResize.resize(src, 10, 7, 3, 10, 7, PilResize.Filter.BICUBIC);
        assertArrayEquals(src, out);
        assertNotSame(src, out);
        assertArrayEquals(src, TorchResize.resize(src, 10, 7, 3, 10, 7, TorchResize.Mode.BICUBIC));
    }

    @ParameterizedTest
    @EnumSource(PilResize.Filter.class)
    void constantImageStaysConstant(PilResize.Filter filter) {
        byte[] src = new byte[53 * 41 * 3];
        for (int i = 0; i < src.length; i += 3) {
            src[i] = (byte) 200;
            src[i + 1] = 7;
            src[i + 2] = (byte) 255;
        }
        for (int[] size : new int[][] {{1, 1}, {32, 32}, {100, 17}, {53, 90}}) {
            byte[] out = PilResize.resize(src, 53, 41, 3, size[0], size[1], filter);
            for (int i = 0; i < out.length; i += 3) {
                assertEquals(200, out[i] & 0xff);
                assertEquals(7, out[i + 1] & 0xff);
                assertEquals(255, out[i + 2] & 0xff);
            }
        }
    }

    @Test
    void pilCoefficientsSumToOneInFixedPoint() {
        PilResize.Coefficients c = PilResize.Coefficients.compute(512, 32, PilResize.Filter.BICUBIC);
        assertEquals(2 * (int) Math.ceil(2.0 * 16) + 1, c.ksize);
        for (int i = 0; i < 32; i++) {
            long sum = 0;
            for (int k = 0; k < c.ksize; k++) {
                sum += c.kk[i * c.ksize + k];
            }
            assertTrue(Math.abs(sum - (1 << PilResize.PRECISION_BITS)) <= c.ksize, "row " + i + " sums to " + sum);
        }
    }

    @Test
    void torchUsesInt16CoefficientsWithTheLargestFittingPrecision() {
        SeparableResampler.Kernel k = TorchResize.kernel(512, 32, TorchResize.Mode.BICUBIC);
        int max = 0;
        for (int v : k.kk()) {
            assertTrue(v >= Short.MIN_VALUE && v <= Short.MAX_VALUE);
            max = Math.max(max, v);
        }
        assertTrue(max >= 1 << 14 && max < 1 << 15, "largest coefficient " + max + " at precision " + k.precision());
        assertTrue(k.precision() < TorchResize.MAX_PRECISION);
    }

    @Test
    void torchAndPillowDifferByAtMostOneLevelPerPass() {
        byte[] src = noise(451 * 300 * 3, 3);
        for (int[] size : new int[][] {{32, 32}, {224, 224}, {500, 333}, {7, 300}}) {
            byte[] pil = PilResize.resize(src, 451, 300, 3, size[0], size[1], PilResize.Filter.BICUBIC);
            byte[] torch = TorchResize.resize(src, 451, 300, 3, size[0], size[1], TorchResize.Mode.BICUBIC);
            int max = 0;
            for (int i = 0; i < pil.length; i++) {
                max = Math.max(max, Math.abs((pil[i] & 0xff) - (torch[i] & 0xff)));
            }
            assertTrue(max <= 2, size[0] + "x" + size[1] + ": " + max);
        }
    }

    @Test
    void torchModesForPilFilters() {
        assertEquals(TorchResize.Mode.BICUBIC, TorchResize.Mode.forPilFilter(PilResize.Filter.BICUBIC));
        assertEquals(TorchResize.Mode.BILINEAR, TorchResize.Mode.forPilFilter(PilResize.Filter.BILINEAR));
        assertEquals(TorchResize.Mode.BICUBIC, TorchResize.Mode.forPilFilter(PilResize.Filter.LANCZOS));
        assertThrows(IllegalArgumentException.class, () -> TorchResize.Mode.forPilFilter(PilResize.Filter.BOX));
        assertThrows(IllegalArgumentException.class, () -> TorchResize.Mode.forPilFilter(PilResize.Filter.HAMMING));
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> PilResize.resize(new byte[12], 2, 2, 3, 0, 1, PilResize.Filter.BOX));
        assertThrows(IllegalArgumentException.class, () -> PilResize.resize(new byte[11], 2, 2, 3, 1, 1, PilResize.Filter.BOX));
        assertThrows(IllegalArgumentException.class, () -> PilResize.resize(new byte[10], 2, 1, 5, 1, 1, PilResize.Filter.BOX));
        assertThrows(IllegalArgumentException.class, () -> PilResize.Filter.fromPilCode(0));
        assertThrows(IllegalArgumentException.class, () -> TorchResize.resize(new byte[12], 2, 2, 3, 1, -1, TorchResize.Mode.BILINEAR));
    }
}
