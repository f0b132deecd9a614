package dev.blip2serve.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.blip2serve.blip2.WeightPrecision;
import dev.blip2serve.quantize.calibration.CalibrationResult;
import dev.blip2serve.testing.Fixtures;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property: smoothing (SmoothQuant) or AWQ scaling without quantization leaves the float model's function
 * unchanged — query embeddings and teacher-forced logits within 1e-4 of the fp32 variant — on tiny-blip2 and
 * shapes-blip2, language model only and whole model. Covers every fold (LayerNorm, preceding linear rows through
 * attention and ReLU) and every explicit Mul.
 */
class SmoothingIsExactTest {

    @TempDir
    Path tmp;

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("tiny", Fixtures.TINY, Scope.LLM, Preset.W8A8),
                Arguments.of("tiny", Fixtures.TINY, Scope.ALL, Preset.W8A8),
                Arguments.of("tiny", Fixtures.TINY, Scope.ALL, Preset.W4A16),
                Arguments.of("shapes", Fixtures.SHAPES, Scope.LLM, Preset.W4A16),
                Arguments.of("shapes", Fixtures.SHAPES, Scope.ALL, Preset.W8A8),
                Arguments.of("shapes", Fixtures.SHAPES, Scope.ALL, Preset.W4A16));
    }

    @ParameterizedTest(name = "{0} {2} {3}")
    @MethodSource("cases")
    void scalingWithoutQuantizationKeepsLogits(String model, Path checkpoint, Scope scope, Preset preset) throws Exception {
        Integer group = model.equals("tiny") && preset.grouped() ? 16 : null;
        Recipe recipe = Recipe.of(preset, null, group, null, scope);
        CalibrationResult calib = QuantizeTesting.calibrate(checkpoint, scope, 8);
        Path smoothed = QuantizeTesting.smoothedFloatVariant(checkpoint, recipe, calib, tmp.resolve("smoothed"));
        Path fp32 = Fixtures.variant(checkpoint, WeightPrecision.FP32);
        for (int image : new int[] {0, 5}) {
            float[] want = QuantizeTesting.outputs(fp32, checkpoint, image);
            float[] got = QuantizeTesting.outputs(smoothed, checkpoint, image);
            float diff = Fixtures.maxAbsDiff(want, got);
            System.out.printf("smoothing-only %s %s %s image %d: max |diff| %.3g%n", model, scope, preset.label(), image, diff);
            assertThat(diff).as("%s %s %s image %d", model, scope, preset.label(), image).isLessThan(1e-4f);
        }
    }
}
