package dev.blip2serve.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The TurboJPEG path against Pillow on JPEG variants the older reference set lacks (4:4:0, 4:1:1, odd sizes, restart
 * markers, arithmetic coding, progressive 4:2:2 / 4:4:4 / gray, CMYK, EXIF-rotated progressive), against the JDK's
 * decoder on the same files, against djpeg for DCT-scaled decodes, and on cut and corrupted data.
 * {@code src/test/resources/images/jpeg-variants/make_variants.py} wrote the files and {@code pillow.json}.
 */
class TurboJpegParityTest {

    private static final String DIR = "/images/jpeg-variants/";
    private static final JsonNode REF = JsonMapper.builder().build().readTree(
            new String(TestResources.bytes(DIR + "pillow.json"), StandardCharsets.UTF_8));
    /** The one layout where the JDK's IJG libjpeg upsamples differently (plain, not fancy, for 4:4:0). */
    private static final String JDK_DIFFERS = "sample-440.jpg";

    private static ImageDecoder turbo() {
        return new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, true, NativeImageLibraries.turboJpeg(), false);
    }

    private static final ImageDecoder JDK = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, true, null, false);

    @TestFactory
    Stream<DynamicTest> turboJpegDecodesLikePillow() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : REF.get("decode").propertyNames()) {
            JsonNode ref = REF.get("decode").get(name);
            tests.add(DynamicTest.dynamicTest(name, () -> {
                DecodedImage img = turbo().decode(TestResources.bytes(DIR + name));
                assertEquals(ref.get("width").intValue(), img.width(), "width");
                assertEquals(ref.get("height").intValue(), img.height(), "height");
                assertEquals(ref.get("sha256").stringValue(), PillowReferenceTest.sha256(img.rgb()),
                        "RGB bytes differ from Pillow");
            }));
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> jdkDecoderAgreesWithTurboJpeg() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : REF.get("decode").propertyNames()) {
            tests.add(DynamicTest.dynamicTest(name, () -> {
                byte[] jpeg = TestResources.bytes(DIR + name);
                DecodedImage t = turbo().decode(jpeg);
                if (name.equals("arithmetic.jpg")) {
                    ImageException e = org.junit.jupiter.api.Assertions.assertThrows(ImageException.class,
                            () -> JDK.decode(jpeg));
                    assertEquals("cannot decode jpeg image: Sorry, there are legal restrictions on arithmetic coding",
                            e.getMessage(), "the JDK's libjpeg has no arithmetic decoder");
                    return;
                }
                DecodedImage j = JDK.decode(jpeg);
                assertEquals(t.width(), j.width());
                assertEquals(t.height(), j.height());
                assertEquals(t.orientation(), j.orientation());
                int max = maxDiff(t.rgb(), j.rgb());
                if (name.equals(JDK_DIFFERS)) {
                    System.out.printf("%s: JDK libjpeg vs libjpeg-turbo max |diff| %d levels%n", name, max);
                    assertTrue(max > 0 && max < 64, "4:4:0 upsampling differs, but only a little: " + max);
                } else {
                    assertEquals(0, max, "JDK decoder vs TurboJPEG");
                }
            }));
        }
        return tests.stream();
    }

    /** The optional fast path equals libjpeg-turbo's own djpeg with the same IDCT and scale. */
    @TestFactory
    Stream<DynamicTest> dctScaledDecodesEqualDjpeg() {
        List<DynamicTest> tests = new ArrayList<>();
        JsonNode scaled = REF.get("djpeg_scaled");
        for (String name : scaled.propertyNames()) {
            for (String scale : scaled.get(name).propertyNames()) {
                JsonNode ref = scaled.get(name).get(scale);
                tests.add(DynamicTest.dynamicTest(name + " at " + scale, () -> {
                    TurboJpeg lib = NativeImageLibraries.turboJpeg();
                    ImageDecoder fast = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, true, lib, true);
                    int w = ref.get("width").intValue();
                    int h = ref.get("height").intValue();
                    DecodedImage img = fast.decode(TestResources.bytes(DIR + name), w, h);
                    assertEquals(w, img.width(), "the smallest size not below the request is the request itself");
                    assertEquals(h, img.height());
                    assertEquals(ref.get("sha256").stringValue(), PillowReferenceTest.sha256(img.rgb()));
                    DecodedImage full = fast.decode(TestResources.bytes(DIR + name));
                    assertEquals(full.width(), img.originalWidth(), "the stored size is still reported");
                }));
            }
        }
        return tests.stream();
    }

    @Test
    void scaleIsTheSmallestNotBelowTheTarget() {
        TurboJpeg lib = NativeImageLibraries.turboJpeg();
        assertArrayEquals(new int[] {1, 8}, lib.smallestScaleAtLeast(4000, 3000, 224, 224), "500x375");
        assertArrayEquals(new int[] {1, 4}, lib.smallestScaleAtLeast(1000, 900, 224, 224), "250x225");
        assertArrayEquals(new int[] {1, 2}, lib.smallestScaleAtLeast(1000, 590, 224, 224), "3/8 gives 375x222: 1/2");
        assertArrayEquals(new int[] {1, 1}, lib.smallestScaleAtLeast(230, 230, 224, 224), "7/8 gives 202");
        assertArrayEquals(new int[] {1, 1}, lib.smallestScaleAtLeast(100, 100, 224, 224), "never upscaled");
        for (int[] f : lib.scalingFactors()) {
            assertTrue(f[0] > 0 && f[1] > 0, Arrays.toString(f));
        }
    }

    @Test
    void dctScalingSwapsTheTargetForRotatedPhotos() {
        TurboJpeg lib = NativeImageLibraries.turboJpeg();
        ImageDecoder fast = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, true, lib, true);
        // 67x45 stored, orientation 6 shows 45x67: asking for 40 wide, 60 high must keep 60 of the stored width.
        DecodedImage img = fast.decode(TestResources.bytes(DIR + "pil-exif6-progressive.jpg"), 40, 60);
        assertTrue(img.width() >= 40 && img.height() >= 60, img.toString());
        assertEquals(45, img.width(), "7/8 would leave 59 rows: unscaled");
        DecodedImage small = fast.decode(TestResources.bytes(DIR + "pil-exif6-progressive.jpg"), 20, 30);
        assertEquals(23, small.width(), "1/2: 34x23 stored, 23x34 shown");
        assertEquals(34, small.height());
        ImageDecoder exact = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, true, lib, false);
        assertEquals(45, exact.decode(TestResources.bytes(DIR + "pil-exif6-progressive.jpg"), 20, 30).width(),
                "off by default");
    }

    /**
     * Every cut is refused with one line by the TurboJPEG path, as Pillow refuses it. The JDK's decoder accepts a few
     * (a progressive file cut between scans: it reports no warning then), which is one reason TurboJPEG is preferred.
     */
    @TestFactory
    Stream<DynamicTest> cutFilesAreRefused() {
        ImageDecoder turbo = turbo();
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : List.of("large-420.jpg", "large-progressive.jpg", "restart-rows.jpg", "arithmetic.jpg",
                "pil-cmyk.jpg", "gray-progressive.jpg")) {
            tests.add(DynamicTest.dynamicTest(name, () -> {
                byte[] jpeg = TestResources.bytes(DIR + name);
                for (int i = 1; i <= 40; i++) {
                    int len = (int) ((long) (jpeg.length - 3) * i / 40);
                    byte[] cut = Arrays.copyOf(jpeg, len);
                    try {
                        turbo.decode(cut);
                        fail(name + " cut to " + len + " of " + jpeg.length + " decoded");
                    } catch (ImageException e) {
                        assertFalse(e.getMessage().isBlank() || e.getMessage().contains("\n"), e.getMessage());
                    }
                    try {
                        JDK.decode(cut);
                    } catch (ImageException e) {
                        assertFalse(e.getMessage().isBlank() || e.getMessage().contains("\n"), e.getMessage());
                    }
                }
            }));
        }
        return tests.stream();
    }

    @Test
    void missingEoiIsToleratedOnlyAfterOneSequentialScan() {
        ImageDecoder turbo = turbo();
        byte[] baseline = TestResources.bytes(DIR + "restart-rows.jpg");
        assertArrayEquals(turbo.decode(baseline).rgb(), turbo.decode(Arrays.copyOf(baseline, baseline.length - 2)).rgb());
        byte[] progressive = TestResources.bytes(DIR + "large-progressive.jpg");
        ImageException e = org.junit.jupiter.api.Assertions.assertThrows(ImageException.class,
                () -> turbo.decode(Arrays.copyOf(progressive, progressive.length - 2)));
        assertEquals("truncated or corrupt jpeg data (Premature end of JPEG file)", e.getMessage(),
                "Pillow too: 'image file is truncated' (its libjpeg waits for the EOI of a multi-scan file)");
    }

    /** Flipped bytes anywhere: a decoded image or a one-line ImageException, never another failure or a crash. */
    @Test
    void corruptedBytesNeverEscapeAsAnythingElse() {
        ImageDecoder turbo = turbo();
        Random random = new Random(20);
        int decoded = 0;
        int refused = 0;
        for (String name : List.of("large-420.jpg", "large-progressive.jpg", "sample-440.jpg", "arithmetic.jpg",
                "pil-cmyk.jpg")) {
            byte[] jpeg = TestResources.bytes(DIR + name);
            for (int round = 0; round < 60; round++) {
                byte[] bad = jpeg.clone();
                int flips = 1 + random.nextInt(8);
                for (int f = 0; f < flips; f++) {
                    bad[2 + random.nextInt(bad.length - 2)] = (byte) random.nextInt(256);
                }
                try {
                    DecodedImage img = turbo.decode(bad);
                    assertEquals((long) img.width() * img.height() * 3, img.rgb().length);
                    decoded++;
                } catch (ImageException e) {
                    assertFalse(e.getMessage().isBlank() || e.getMessage().contains("\n"), e.getMessage());
                    refused++;
                }
            }
        }
        System.out.printf("corrupted JPEGs through TurboJPEG: %d decoded (libjpeg repairs), %d refused%n", decoded, refused);
        assertTrue(refused > 0, "some corruptions must be refused");
    }

    @Test
    void declaredSizeIsCheckedBeforeLibjpegSeesIt() {
        byte[] bomb = TestResources.bytes("/bad-inputs/jpeg-sof-65500x65500.jpg");
        ImageException e = org.junit.jupiter.api.Assertions.assertThrows(ImageException.class, () -> turbo().decode(bomb));
        assertTrue(e.getMessage().contains("over the limit"), e.getMessage());
        ImageDecoder small = new ImageDecoder(1000, true, NativeImageLibraries.turboJpeg(), false);
        e = org.junit.jupiter.api.Assertions.assertThrows(ImageException.class,
                () -> small.decode(TestResources.bytes(DIR + "large-420.jpg")));
        assertEquals("jpeg image is 320x240 = 76800 pixels, over the limit of 1000", e.getMessage());
    }

    private static int maxDiff(byte[] a, byte[] b) {
        int max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((a[i] & 0xff) - (b[i] & 0xff)));
        }
        return max;
    }
}
