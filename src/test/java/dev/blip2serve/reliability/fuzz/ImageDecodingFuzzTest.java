package dev.blip2serve.reliability.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.blip2serve.image.ImageDecoder;
import dev.blip2serve.image.ImageException;
import dev.blip2serve.image.ImagePreprocessor;
import dev.blip2serve.image.ProcessorSettings;

/**
 * Fuzzes the service's image path: {@link ImageDecoder#decode} (format sniffing, container headers, EXIF/PNG/WebP
 * orientation, the pixel-limit check before decoding, colour conversion) and {@link ImagePreprocessor} (resize,
 * normalize) with both backends. Only {@link ImageException} may escape. The pixel limit is 1 megapixel here
 * instead of the service's 50 so that every accepted input decodes in milliseconds; the limit check itself is
 * the same code (the bad-input corpus covers it at the service's limit).
 */
class ImageDecodingFuzzTest {

    private static final String[] SEEDS = {"images/rgb8.png", "images/palette4.png", "images/rgb16.png",
        "images/q90_420.jpg", "images/progressive.jpg", "images/cmyk.jpg", "images/exif6.jpg", "images/anim.gif",
        "images/p8.bmp", "images/lossy.webp", "images/lossless.webp", "images/exif6.png"};
    private static final byte[][] SAMPLES = new byte[SEEDS.length][];

    static {
        for (int i = 0; i < SEEDS.length; i++) {
            SAMPLES[i] = Inputs.resource(SEEDS[i]);
        }
    }

    private static final ImageDecoder DECODER = new ImageDecoder(1_000_000, true);
    private static final ImagePreprocessor TORCH = new ImagePreprocessor(ProcessorSettings.blipDefaults().withSize(224, 224), DECODER,
            ImagePreprocessor.Backend.TORCHVISION);
    private static final ImagePreprocessor PIL = new ImagePreprocessor(ProcessorSettings.blipDefaults().withSize(224, 224), DECODER,
            ImagePreprocessor.Backend.PIL);

    @FuzzTest(maxDuration = "20s")
    void decodeAndPreprocess(FuzzedDataProvider data) {
        boolean pil = data.consumeBoolean();
        check(Inputs.rawOrMutated(data, SAMPLES), pil);
    }

    static void check(byte[] bytes, boolean pil) {
        try {
            float[] pixels = (pil ? PIL : TORCH).preprocess(bytes);
            if (pixels.length != 3 * 224 * 224) {
                throw new AssertionError("preprocess returned " + pixels.length + " values");
            }
        } catch (ImageException expected) {
            // the documented failure: a one-line reason, answered 422 by the service
            if (expected.getMessage() == null || expected.getMessage().contains("\n")) {
                throw new AssertionError("ImageException without a one-line message", expected);
            }
        }
    }
}
