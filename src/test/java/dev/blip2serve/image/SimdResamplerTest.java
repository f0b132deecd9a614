package dev.blip2serve.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The Vector API passes ({@link SimdResampler}) give the scalar loops' bytes for every channel count, filter and
 * size, down- and upscaling, including the last pixels of an image whose 16-byte loads would run past the array.
 */
class SimdResamplerTest {

    @Test
    void theTestJvmRunsTheSimdKernel() {
        // surefire's argLine adds the module; without it every parity test would silently check the scalar loops only
        assertThat(ModuleLayer.boot().findModule("jdk.incubator.vector")).isPresent();
        assertThat(SeparableResampler.SIMD).isEqualTo(SimdResampler.usable());
        assertThat(NativeDecoders.summary()).contains("resize " + SeparableResampler.describe());
    }

    @Property(tries = 200)
    void simdEqualsScalar(@ForAll @IntRange(min = 1, max = 400) int width,
                          @ForAll @IntRange(min = 1, max = 400) int height,
                          @ForAll @IntRange(min = 1, max = 260) int outWidth,
                          @ForAll @IntRange(min = 1, max = 260) int outHeight,
                          @ForAll @IntRange(min = 1, max = 4) int channels,
                          @ForAll @IntRange(min = 0, max = 6) int filter, @ForAll long seed) {
        byte[] src = new byte[width * height * channels];
        new Random(seed).nextBytes(src);
        SeparableResampler.Kernel horizontal = outWidth == width ? null : kernel(width, outWidth, filter);
        SeparableResampler.Kernel vertical = outHeight == height ? null : kernel(height, outHeight, filter);
        byte[] scalar = SeparableResampler.run(src, width, height, channels, outWidth, outHeight, horizontal,
                vertical, false);
        byte[] simd = SeparableResampler.run(src, width, height, channels, outWidth, outHeight, horizontal,
                vertical, true);
        assertThat(simd).isEqualTo(scalar);
    }

    @Test
    void aPhotoSizedImageEqualsScalarOnBothBackends() {
        int width = 4032;
        int height = 3024;
        byte[] src = new byte[width * height * 3];
        new Random(7).nextBytes(src);
        for (int filter : new int[] {0, 5}) {
            SeparableResampler.Kernel h = kernel(width, 224, filter);
            SeparableResampler.Kernel v = kernel(height, 224, filter);
            assertThat(SeparableResampler.run(src, width, height, 3, 224, 224, h, v, true))
                    .isEqualTo(SeparableResampler.run(src, width, height, 3, 224, 224, h, v, false));
        }
    }

    /** 0..4: Pillow's BICUBIC, BILINEAR, LANCZOS, BOX, HAMMING (22-bit weights); 5, 6: torch bicubic, bilinear (int16). */
    private static SeparableResampler.Kernel kernel(int in, int out, int filter) {
        return switch (filter) {
            case 0 -> PilResize.Coefficients.compute(in, out, PilResize.Filter.BICUBIC).kernel();
            case 1 -> PilResize.Coefficients.compute(in, out, PilResize.Filter.BILINEAR).kernel();
            case 2 -> PilResize.Coefficients.compute(in, out, PilResize.Filter.LANCZOS).kernel();
            case 3 -> PilResize.Coefficients.compute(in, out, PilResize.Filter.BOX).kernel();
            case 4 -> PilResize.Coefficients.compute(in, out, PilResize.Filter.HAMMING).kernel();
            case 5 -> TorchResize.kernel(in, out, TorchResize.Mode.BICUBIC);
            default -> TorchResize.kernel(in, out, TorchResize.Mode.BILINEAR);
        };
    }
}
