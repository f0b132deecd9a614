package dev.blip2serve.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImagePreprocessorTest {

    private static final ProcessorSettings TINY = ProcessorSettings.blipDefaults().withSize(32, 32);

    private static byte[] photo(String name) {
        return TestResources.bytes("/fixtures/tiny-blip2/images/" + name);
    }

    @Test
    void batchStacksSingleImages() {
        ImagePreprocessor p = new ImagePreprocessor(TINY);
        List<byte[]> images = List.of(photo("astronaut.png"), photo("camera.png"), photo("rocket.jpg"));
        ImagePreprocessor.PixelBatch batch = p.preprocessBatch(images);
        assertArrayEquals(new long[] {3, 3, 32, 32}, batch.shape());
        assertArrayEquals(p.batchShape(3), batch.shape());
        for (int i = 0; i < 3; i++) {
            float[] one = p.preprocess(images.get(i));
            assertArrayEquals(one, Arrays.copyOfRange(batch.data(), i * one.length, (i + 1) * one.length));
        }
    }

    @Test
    void grayscaleImageHasThreeEqualPlanesBeforeNormalization() {
        ProcessorSettings raw = new ProcessorSettings(32, 32, PilResize.Filter.BICUBIC, true, false, 1 / 255.0,
                false, ProcessorSettings.OPENAI_CLIP_MEAN, ProcessorSettings.OPENAI_CLIP_STD, true);
        float[] x = new ImagePreprocessor(raw).preprocess(photo("camera.png"));
        int plane = 32 * 32;
        for (int i = 0; i < plane; i++) {
            assertEquals(x[i], x[plane + i]);
            assertEquals(x[i], x[2 * plane + i]);
            assertEquals(Math.rint(x[i]), x[i]); // no rescale: whole uint8 values
        }
    }

    @Test
    void rescaleAndNormalizeArithmeticPerBackend() {
        // A 1x1 image, no resize: the arithmetic alone.
        DecodedImage px = DecodedImage.ofRgb(new byte[] {(byte) 200, 0, (byte) 255}, 1, 1);
        ProcessorSettings s = TINY.withSize(1, 1);
        float[] pil = new ImagePreprocessor(s, new ImageDecoder(), ImagePreprocessor.Backend.PIL).preprocess(px);
        float[] tv = new ImagePreprocessor(s).preprocess(px);
        float mean0 = (float) 0.48145466;
        float std0 = (float) 0.26862954;
        assertEquals(((float) (200 * (1 / 255.0)) - mean0) / std0, pil[0]);
        assertEquals((200f - mean0 * (float) (1 / (1 / 255.0))) / (std0 * 255f), tv[0]);
        assertTrue(Math.abs(pil[0] - tv[0]) < 1e-6);
        assertEquals(((float) (255 * (1 / 255.0)) - (float) 0.40821073) / (float) 0.27577711, pil[2]);
    }

    @Test
    void withoutResizeTheImageKeepsItsSizeAndBatchesNeedEqualSizes() {
        ProcessorSettings noResize = new ProcessorSettings(32, 32, PilResize.Filter.BICUBIC, false, true,
                1 / 255.0, true, ProcessorSettings.OPENAI_CLIP_MEAN, ProcessorSettings.OPENAI_CLIP_STD, true);
        ImagePreprocessor p = new ImagePreprocessor(noResize);
        assertEquals(3 * 451 * 300, p.preprocess(photo("chelsea.png")).length);
        ImageException e = assertThrows(ImageException.class,
                () -> p.preprocessBatch(List.of(photo("chelsea.png"), photo("coffee.png"))));
        assertTrue(e.getMessage().startsWith("image 1 is 600x400, expected 451x300"), e.getMessage());
    }

    @Test
    void batchErrorsNameTheImage() {
        ImagePreprocessor p = new ImagePreprocessor(TINY);
        ImageException e = assertThrows(ImageException.class,
                () -> p.preprocessBatch(List.of(photo("camera.png"), new byte[] {1, 2, 3})));
        assertTrue(e.getMessage().startsWith("image 1: unrecognized image format"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> p.preprocessDecoded(List.of()));
    }

    @Test
    void torchvisionBackendRejectsFiltersTorchLacks() {
        ProcessorSettings box = new ProcessorSettings(32, 32, PilResize.Filter.BOX, true, true, 1 / 255.0, true,
                ProcessorSettings.OPENAI_CLIP_MEAN, ProcessorSettings.OPENAI_CLIP_STD, true);
        assertThrows(IllegalArgumentException.class, () -> new ImagePreprocessor(box));
        assertEquals(3 * 32 * 32, new ImagePreprocessor(box, new ImageDecoder(), ImagePreprocessor.Backend.PIL)
                .preprocess(photo("camera.png")).length);
    }
}
