package dev.blip2serve.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * HEIC and AVIF through libheif: equal to what libheif's own {@code heif-convert} gives for the same files
 * ({@code src/test/resources/images/heif/make_heif.sh} wrote them and {@code heif-convert.json}), alpha dropped, size
 * limits before decoding, a clear 415-class refusal where libheif is missing, and cut or corrupted files as one-line
 * errors (libde265 and dav1d must not take the JVM down).
 */
class LibHeifTest {

    private static final String DIR = "/images/heif/";
    private static final JsonNode REF = JsonMapper.builder().build().readTree(
            new String(TestResources.bytes(DIR + "heif-convert.json"), StandardCharsets.UTF_8)).get("decode");

    private static ImageDecoder decoder(long maxPixels) {
        return new ImageDecoder(maxPixels, true, TurboJpeg.system().orElse(null), false, NativeImageLibraries.libHeif(),
                null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"photo.heic", "photo.avif", "alpha.heic"})
    void decodesLikeHeifConvert(String name) {
        LibHeif lib = NativeImageLibraries.libHeif();
        assertTrue(lib.canDecode(LibHeif.Kind.HEIC) && lib.canDecode(LibHeif.Kind.AVIF),
                "Debian's libheif1 links libde265 and dav1d/libaom");
        DecodedImage img = decoder(ImageDecoder.DEFAULT_MAX_PIXELS).decode(TestResources.bytes(DIR + name));
        JsonNode ref = REF.get(name);
        assertEquals(name.endsWith(".avif") ? "avif" : "heic", img.format());
        assertEquals(ref.get("width").intValue(), img.width());
        assertEquals(ref.get("height").intValue(), img.height());
        assertEquals(ref.get("sha256").stringValue(), PillowReferenceTest.sha256(img.rgb()), "differs from heif-convert");
        // And it is the picture that was encoded: within the lossy codec's error of the source PNG.
        DecodedImage src = decoder(ImageDecoder.DEFAULT_MAX_PIXELS).decode(TestResources.bytes(DIR + "src.png"));
        long sum = 0;
        for (int i = 0; i < src.rgb().length; i++) {
            sum += Math.abs((src.rgb()[i] & 0xff) - (img.rgb()[i] & 0xff));
        }
        assertTrue(sum / (double) src.rgb().length < 5, "mean |diff| to the source " + sum / (double) src.rgb().length);
    }

    @Test
    void alphaIsDroppedLikeConvertRgb() {
        ImageDecoder d = decoder(ImageDecoder.DEFAULT_MAX_PIXELS);
        assertEquals(d.decode(TestResources.bytes(DIR + "photo.heic")), d.decode(TestResources.bytes(DIR + "alpha.heic")));
    }

    @Test
    void pixelLimitComesBeforeDecoding() {
        ImageException e = assertThrows(ImageException.class,
                () -> decoder(1000).decode(TestResources.bytes(DIR + "photo.heic")));
        assertEquals("heic image is 64x48 = 3072 pixels, over the limit of 1000", e.getMessage());
    }

    @Test
    void withoutLibheifTheFormatIsUnsupportedNotBroken() {
        ImageDecoder none = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, true, null, false, null, null);
        for (String name : new String[] {"photo.heic", "photo.avif"}) {
            ImageException e = assertThrows(ImageException.class, () -> none.decode(TestResources.bytes(DIR + name)));
            assertInstanceOf(UnsupportedImageException.class, e);
            assertTrue(e.getMessage().contains("need libheif (Debian: libheif1)"), e.getMessage());
        }
    }

    @Test
    void brandsAreSniffed() {
        assertEquals("heic", ContainerHeaders.heifBrand(TestResources.bytes(DIR + "photo.heic")));
        assertEquals("avif", ContainerHeaders.heifBrand(TestResources.bytes(DIR + "photo.avif")));
        byte[] mp4 = Arrays.copyOf(TestResources.bytes(DIR + "photo.heic"), 64);
        byte[] isom = "isomiso2mp41".getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(isom, 0, mp4, 8, 4);
        System.arraycopy(isom, 0, mp4, 16, isom.length);
        for (int i = 16 + isom.length; i < 24; i++) {
            mp4[i] = 'x';
        }
        mp4[3] = 24; // ftyp box of 24 bytes: major isom, minor, isom iso2 mp41... cut to 24
        assertEquals(null, ContainerHeaders.heifBrand(mp4), "an MP4 video is not HEIF");
    }

    /** Cut and corrupted HEIC and AVIF: a decoded image or a one-line ImageException, never anything else. */
    @Test
    void damagedFilesGiveOneLineErrors() {
        ImageDecoder d = decoder(ImageDecoder.DEFAULT_MAX_PIXELS);
        Random random = new Random(20);
        int refused = 0;
        for (String name : new String[] {"photo.heic", "photo.avif"}) {
            byte[] file = TestResources.bytes(DIR + name);
            for (int round = 0; round < 150; round++) {
                byte[] bad = round % 3 == 0 ? Arrays.copyOf(file, 1 + random.nextInt(file.length - 1)) : file.clone();
                if (round % 3 != 0) {
                    for (int f = 0, n = 1 + random.nextInt(6); f < n; f++) {
                        bad[16 + random.nextInt(bad.length - 16)] = (byte) random.nextInt(256);
                    }
                }
                try {
                    DecodedImage img = d.decode(bad);
                    assertEquals((long) img.width() * img.height() * 3, img.rgb().length);
                } catch (ImageException e) {
                    assertFalse(e.getMessage().isBlank() || e.getMessage().contains("\n"), e.getMessage());
                    refused++;
                }
            }
        }
        assertTrue(refused > 100, "most damage must be refused: " + refused);
    }
}
