package dev.blip2serve.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Bit-exactness against Pillow. {@code src/test/resources/images/make_reference.py} wrote the images and the
 * SHA-256 of what Pillow returns for them ({@code reference.json}); see that script for how each was made.
 */
class PillowReferenceTest {

    private static final JsonNode REF = JsonMapper.builder().build().readTree(
            new String(TestResources.bytes("/images/reference.json"), StandardCharsets.UTF_8));
    private static final ImageDecoder DECODER = new ImageDecoder();

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] file(String name) {
        return name.startsWith("fixture:")
                ? TestResources.bytes("/fixtures/tiny-blip2/images/" + name.substring("fixture:".length()))
                : TestResources.bytes("/images/" + name);
    }

    /**
     * Decoding = Image.open + ImageOps.exif_transpose + convert("RGB"), byte for byte: with the default decoder (JPEG
     * through TurboJPEG where libturbojpeg0 is installed) and with the JDK's JPEG decoder, the fallback.
     */
    @TestFactory
    Stream<DynamicTest> decodesLikePillow() {
        return decodesLikePillow(DECODER);
    }

    @TestFactory
    Stream<DynamicTest> jdkJpegDecoderDecodesLikePillow() {
        return decodesLikePillow(new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, true, null, false));
    }

    @TestFactory
    Stream<DynamicTest> nativeLibrariesDecodeLikePillow() {
        return decodesLikePillow(new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, true, NativeImageLibraries.turboJpeg(),
                false, null, NativeImageLibraries.libWebp()));
    }

    private static Stream<DynamicTest> decodesLikePillow(ImageDecoder decoder) {
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : REF.get("decode").propertyNames()) {
            if (name.equals("lossy.webp") || name.equals("xmp6.jpg")) {
                continue; // own tests below
            }
            JsonNode ref = REF.get("decode").get(name);
            tests.add(DynamicTest.dynamicTest(name + " (PIL mode " + ref.get("mode").stringValue() + ")", () -> {
                DecodedImage img = decoder.decode(file(name));
                assertEquals(ref.get("width").intValue(), img.width(), "width");
                assertEquals(ref.get("height").intValue(), img.height(), "height");
                assertEquals(ref.get("sha256").stringValue(), sha256(img.rgb()), "RGB bytes differ from Pillow");
            }));
        }
        return tests.stream();
    }

    /**
     * Current Pillow also reads {@code tiff:Orientation} from XMP when EXIF has none (the Pillow that wrote the
     * reference predates that), so xmp6.jpg must decode like exif6.jpg: same scan data, same rotation.
     */
    @Test
    void xmpOrientationIsAFallback() {
        DecodedImage img = DECODER.decode(file("xmp6.jpg"));
        assertEquals(6, img.orientation());
        assertEquals(REF.get("decode").get("exif6.jpg").get("sha256").stringValue(), sha256(img.rgb()));
    }

    /** Lossy WebP through libwebp (Debian's libwebp7, Pillow's library): Pillow's bytes exactly. */
    @Test
    void lossyWebpThroughLibwebpIsExact() {
        LibWebp lib = NativeImageLibraries.libWebp();
        ImageDecoder d = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, true, null, false, null, lib);
        DecodedImage img = d.decode(file("lossy.webp"));
        assertArrayEquals(TestResources.bytes("/images/lossy.webp.rgb"), img.rgb());
    }

    /**
     * Lossy WebP without libwebp: TwelveMonkeys' Java VP8 decoder is not libwebp. On this noisy 48x40 image it is off
     * by up to ~80 levels at sharp edges and ~5 on average, so this only checks it is the same picture.
     */
    @Test
    void lossyWebpInJavaIsClose() {
        ImageDecoder java = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, true, null, false, null, null);
        DecodedImage img = java.decode(file("lossy.webp"));
        byte[] expected = TestResources.bytes("/images/lossy.webp.rgb");
        assertEquals(expected.length, img.rgb().length);
        int max = 0;
        long sum = 0;
        for (int i = 0; i < expected.length; i++) {
            int d = Math.abs((expected[i] & 0xff) - (img.rgb()[i] & 0xff));
            max = Math.max(max, d);
            sum += d;
        }
        System.out.printf("lossy webp vs libwebp: max |diff| %d, mean %.3f levels%n", max, (double) sum / expected.length);
        assertTrue((double) sum / expected.length <= 8.0, "mean diff " + (double) sum / expected.length);
    }

    /** PilResize = Image.resize((w, h), resample, reducing_gap=None), byte for byte. */
    @TestFactory
    Stream<DynamicTest> resizesLikePillow() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode r : REF.get("resize")) {
            String image = r.get("image").stringValue();
            int w = r.get("width").intValue();
            int h = r.get("height").intValue();
            PilResize.Filter filter = PilResize.Filter.fromPilCode(r.get("filter").intValue());
            boolean gray = r.has("mode") && r.get("mode").stringValue().equals("L");
            tests.add(DynamicTest.dynamicTest(image + (gray ? " L " : " ") + w + "x" + h + " " + filter, () -> {
                DecodedImage src = DECODER.decode(file("fixture:" + image));
                byte[] out;
                if (gray) {
                    byte[] l = new byte[src.width() * src.height()];
                    for (int i = 0; i < l.length; i++) {
                        l[i] = src.rgb()[3 * i];
                    }
                    out = PilResize.resize(l, src.width(), src.height(), 1, w, h, filter);
                } else {
                    out = PilResize.resize(src.rgb(), src.width(), src.height(), 3, w, h, filter);
                }
                assertEquals(r.get("sha256").stringValue(), sha256(out));
            }));
        }
        return tests.stream();
    }

    /** The PIL backend reproduces BlipImageProcessorPil's float32 pixel_values bit for bit (PNG and JPEG). */
    @TestFactory
    Stream<DynamicTest> pilBackendPixelValues() throws Exception {
        ProcessorSettings settings = ProcessorSettings.fromJson(
                new String(TestResources.bytes("/fixtures/tiny-blip2/preprocessor_config.json"), StandardCharsets.UTF_8),
                "preprocessor_config.json");
        ImagePreprocessor pil = new ImagePreprocessor(settings, DECODER, ImagePreprocessor.Backend.PIL);
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : REF.get("pil_pixel_values").propertyNames()) {
            tests.add(DynamicTest.dynamicTest(name, () -> {
                float[] pv = pil.preprocess(file("fixture:" + name));
                ByteBuffer bytes = ByteBuffer.allocate(pv.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                bytes.asFloatBuffer().put(pv);
                assertEquals(REF.get("pil_pixel_values").get(name).stringValue(), sha256(bytes.array()));
            }));
        }
        return tests.stream();
    }
}
