package dev.blip2serve.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad input, conversions of ImageIO-made images, EXIF orientation with hand-made APP1 segments. */
class ImageDecoderTest {

    private final ImageDecoder decoder = new ImageDecoder();

    // ---------------------------------------------------------------- bad input

    @Test
    void emptyAndNullAreRejected() {
        assertEquals("empty image data", assertThrows(ImageException.class, () -> decoder.decode(new byte[0])).getMessage());
        assertEquals("empty image data", assertThrows(ImageException.class, () -> decoder.decode(null)).getMessage());
    }

    @Test
    void randomBytesAreRejected() {
        byte[] junk = new byte[4096];
        new Random(7).nextBytes(junk);
        junk[0] = 0x12; // not a magic number of any supported format
        ImageException e = assertThrows(ImageException.class, () -> decoder.decode(junk));
        assertTrue(e.getMessage().startsWith("unrecognized image format"), e.getMessage());
        assertOneLine(e);
    }

    @Test
    void otherFormatsAreRejected() {
        byte[] tiff = {'I', 'I', 42, 0, 8, 0, 0, 0, 0, 0};
        assertTrue(assertThrows(ImageException.class, () -> decoder.decode(tiff)).getMessage()
                .startsWith("unrecognized image format"));
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 8, 20, 33, 60, 200, 1000})
    void truncatedPngIsRejected(int length) {
        byte[] png = png(rgbImage(64, 48));
        byte[] cut = Arrays.copyOf(png, Math.min(length, png.length - 13)); // always loses IEND at least
        ImageException e = assertThrows(ImageException.class, () -> decoder.decode(cut));
        assertOneLine(e);
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 4, 100, 300, 700, 1500})
    void truncatedJpegIsRejected(int length) {
        byte[] jpeg = jpeg(rgbImage(96, 64), 0.9f);
        assertTrue(length < jpeg.length - 100);
        byte[] cut = Arrays.copyOf(jpeg, length);
        ImageException e = assertThrows(ImageException.class, () -> decoder.decode(cut));
        assertOneLine(e);
    }

    @Test
    void jpegMissingOnlyItsEoiMarkerIsAccepted() {
        byte[] jpeg = jpeg(rgbImage(96, 64), 0.9f);
        DecodedImage full = decoder.decode(jpeg);
        DecodedImage noEoi = decoder.decode(Arrays.copyOf(jpeg, jpeg.length - 2)); // PIL accepts this too
        assertArrayEquals(full.rgb(), noEoi.rgb());
    }

    @Test
    void truncatedGifAndBmpAreRejected() {
        byte[] gif = encode(indexedImage(), "gif");
        byte[] bmp = encode(rgbImage(32, 32), "bmp");
        assertOneLine(assertThrows(ImageException.class, () -> decoder.decode(Arrays.copyOf(gif, gif.length - 20))));
        assertOneLine(assertThrows(ImageException.class, () -> decoder.decode(Arrays.copyOf(bmp, bmp.length / 2))));
    }

    @Test
    void truncatedWebpIsRejected() {
        byte[] webp = TestResources.bytes("/images/lossless.webp");
        for (int len : new int[] {12, 40, webp.length / 2, webp.length - 1}) {
            ImageException e = assertThrows(ImageException.class, () -> decoder.decode(Arrays.copyOf(webp, len)));
            assertTrue(e.getMessage().startsWith("truncated webp data"), e.getMessage());
        }
    }

    @Test
    void pngDeclaring50000x50000IsRefusedBeforeDecoding() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(50_000).putInt(50_000);
        ihdr.put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0); // 8-bit RGB
        writeChunk(out, "IHDR", ihdr.array());
        // A tiny IDAT that would inflate to far more than the pixel limit allows, were it ever read.
        writeChunk(out, "IDAT", new byte[] {0x78, (byte) 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
        writeChunk(out, "IEND", new byte[0]);
        ImageException e = assertThrows(ImageException.class, () -> decoder.decode(out.toByteArray()));
        assertEquals("png image is 50000x50000 = 2500000000 pixels, over the limit of 50000000", e.getMessage());
    }

    @Test
    void jpegAndGifBombsAreRefusedBeforeDecoding() {
        byte[] jpeg = jpeg(rgbImage(16, 16), 0.9f);
        int sof = indexOfMarker(jpeg, 0xc0);
        jpeg[sof + 5] = (byte) 0xff; // height 65535
        jpeg[sof + 6] = (byte) 0xff;
        jpeg[sof + 7] = (byte) 0xff; // width 65535
        jpeg[sof + 8] = (byte) 0xff;
        ImageException e = assertThrows(ImageException.class, () -> decoder.decode(jpeg));
        assertTrue(e.getMessage().startsWith("jpeg image is 65535x65535"), e.getMessage());

        byte[] gif = encode(indexedImage(), "gif");
        for (int i = 6; i < 10; i++) {
            gif[i] = (byte) 0xff; // logical screen 65535x65535
        }
        int descriptor = indexOf(gif, (byte) 0x2c, 13);
        for (int i = descriptor + 5; i < descriptor + 9; i++) {
            gif[i] = (byte) 0xff; // first frame 65535x65535
        }
        e = assertThrows(ImageException.class, () -> decoder.decode(gif));
        assertTrue(e.getMessage().startsWith("gif image is 65535x65535"), e.getMessage());
    }

    @Test
    void pixelLimitIsConfigurable() {
        byte[] png = png(rgbImage(64, 48));
        assertEquals(64, new ImageDecoder(64 * 48, true).decode(png).width());
        ImageException e = assertThrows(ImageException.class, () -> new ImageDecoder(64 * 48 - 1, true).decode(png));
        assertTrue(e.getMessage().contains("over the limit of 3071"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ImageDecoder(0, true));
    }

    // ---------------------------------------------------------------- conversions (PIL convert("RGB"))

    @Test
    void rgbPngRoundTrips() {
        BufferedImage src = rgbImage(37, 23);
        DecodedImage d = decoder.decode(png(src));
        assertEquals("png", d.format());
        assertEquals(37, d.width());
        assertEquals(23, d.height());
        for (int y = 0; y < 23; y++) {
            for (int x = 0; x < 37; x++) {
                int rgb = src.getRGB(x, y);
                assertArrayEquals(new int[] {rgb >> 16 & 0xff, rgb >> 8 & 0xff, rgb & 0xff}, d.pixel(x, y));
            }
        }
    }

    @Test
    void alphaIsDroppedNotComposited() {
        BufferedImage argb = new BufferedImage(4, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x00ff0000); // fully transparent red: stays red (PIL keeps the stored colour)
        argb.setRGB(1, 0, 0x8000ff00);
        argb.setRGB(2, 0, 0xff0000ff);
        argb.setRGB(3, 0, 0x00000000); // transparent black: stays black, not white
        DecodedImage d = decoder.decode(png(argb));
        assertArrayEquals(new int[] {255, 0, 0}, d.pixel(0, 0));
        assertArrayEquals(new int[] {0, 255, 0}, d.pixel(1, 0));
        assertArrayEquals(new int[] {0, 0, 255}, d.pixel(2, 0));
        assertArrayEquals(new int[] {0, 0, 0}, d.pixel(3, 0));
    }

    @Test
    void grayIsReplicatedWithoutGammaConversion() {
        BufferedImage gray = new BufferedImage(256, 1, BufferedImage.TYPE_BYTE_GRAY);
        for (int x = 0; x < 256; x++) {
            gray.getRaster().setSample(x, 0, 0, x);
        }
        DecodedImage d = decoder.decode(png(gray));
        for (int x = 0; x < 256; x++) {
            assertArrayEquals(new int[] {x, x, x}, d.pixel(x, 0)); // getRGB() would apply a linear->sRGB curve
        }
    }

    @Test
    void sixteenBitGrayClipsLikePilModeI16() {
        BufferedImage g16 = new BufferedImage(5, 1, BufferedImage.TYPE_USHORT_GRAY);
        int[] values = {0, 200, 255, 256, 65535};
        for (int x = 0; x < 5; x++) {
            g16.getRaster().setSample(x, 0, 0, values[x]);
        }
        DecodedImage d = decoder.decode(png(g16));
        int[] expected = {0, 200, 255, 255, 255}; // "I;16" -> "RGB" clips at 255, it does not shift
        for (int x = 0; x < 5; x++) {
            assertArrayEquals(new int[] {expected[x], expected[x], expected[x]}, d.pixel(x, 0));
        }
    }

    @Test
    void sixteenBitRgbKeepsTheHighByte() {
        WritableRaster r = Raster.createInterleavedRaster(DataBuffer.TYPE_USHORT, 2, 1, 3, null);
        r.setPixel(0, 0, new int[] {0x1234, 0xabff, 0x00ff});
        r.setPixel(1, 0, new int[] {0xffff, 0x0100, 0x8000});
        java.awt.color.ColorSpace cs = java.awt.color.ColorSpace.getInstance(java.awt.color.ColorSpace.CS_sRGB);
        java.awt.image.ComponentColorModel cm = new java.awt.image.ComponentColorModel(cs, false, false,
                java.awt.Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        DecodedImage d = decoder.decode(png(new BufferedImage(cm, r, false, null)));
        assertArrayEquals(new int[] {0x12, 0xab, 0x00}, d.pixel(0, 0));
        assertArrayEquals(new int[] {0xff, 0x01, 0x80}, d.pixel(1, 0));
    }

    @Test
    void paletteIsLookedUp() throws IOException {
        BufferedImage p = indexedImage();
        for (String format : new String[] {"png", "gif", "bmp"}) {
            byte[] data = encode(p, format);
            DecodedImage d = decoder.decode(data);
            assertEquals(format, d.format());
            // Oracle: ImageIO's own palette lookup of the same file (writers may reorder or repack palettes).
            BufferedImage back = ImageIO.read(new java.io.ByteArrayInputStream(data));
            assertTrue(back.getColorModel() instanceof IndexColorModel, format);
            for (int y = 0; y < p.getHeight(); y++) {
                for (int x = 0; x < p.getWidth(); x++) {
                    int rgb = back.getRGB(x, y);
                    assertArrayEquals(new int[] {rgb >> 16 & 0xff, rgb >> 8 & 0xff, rgb & 0xff}, d.pixel(x, y),
                            format + " at " + x + "," + y);
                }
            }
        }
    }

    // ---------------------------------------------------------------- JPEG: EXIF, CMYK, YCCK

    @Test
    void exifOrientation6RotatesClockwise() {
        byte[] jpeg = withExifOrientation(jpeg(quadrants(64, 32), 0.95f), 6, true);
        DecodedImage d = decoder.decode(jpeg);
        assertEquals(6, d.orientation());
        assertEquals(32, d.width());
        assertEquals(64, d.height());
        assertEquals(64, d.originalWidth());
        assertEquals(32, d.originalHeight());
        // Stored: red top-left, green top-right, blue bottom-left, white bottom-right.
        // Rotated 90 degrees clockwise: blue top-left, red top-right, white bottom-left, green bottom-right.
        assertNear(new int[] {0, 0, 255}, d.pixel(8, 16));
        assertNear(new int[] {255, 0, 0}, d.pixel(24, 16));
        assertNear(new int[] {255, 255, 255}, d.pixel(8, 48));
        assertNear(new int[] {0, 255, 0}, d.pixel(24, 48));
    }

    @Test
    void exifOrientation3RotatesHalfATurnBigEndianToo() {
        for (boolean littleEndian : new boolean[] {true, false}) {
            DecodedImage d = decoder.decode(withExifOrientation(jpeg(quadrants(64, 32), 0.95f), 3, littleEndian));
            assertEquals(3, d.orientation());
            assertEquals(64, d.width());
            assertNear(new int[] {255, 255, 255}, d.pixel(16, 8));
            assertNear(new int[] {0, 0, 255}, d.pixel(48, 8));
            assertNear(new int[] {0, 255, 0}, d.pixel(16, 24));
            assertNear(new int[] {255, 0, 0}, d.pixel(48, 24));
        }
    }

    @Test
    void orientationCanBeIgnored() {
        byte[] jpeg = withExifOrientation(jpeg(quadrants(64, 32), 0.95f), 6, true);
        DecodedImage d = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, false).decode(jpeg);
        assertEquals(1, d.orientation());
        assertEquals(64, d.width());
    }

    @Test
    void invalidOrientationValuesMeanAsStored() {
        for (int o : new int[] {0, 1, 9, 300}) {
            DecodedImage d = decoder.decode(withExifOrientation(jpeg(quadrants(64, 32), 0.95f), o, true));
            assertEquals(1, d.orientation(), "orientation " + o);
            assertEquals(64, d.width());
        }
    }

    @Test
    void cmykJpegWithoutAdobeMarkerConvertsLikePil() {
        // The JDK writer stores a 4-band raster as plain CMYK without an APP14 marker; PIL inverts it anyway.
        int[] cmyk = {200, 50, 10, 30};
        WritableRaster r = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 32, 32, 4, null);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                r.setPixel(x, y, cmyk);
            }
        }
        byte[] jpeg = writeJpeg(new IIOImage(r, null, null), 1.0f);
        DecodedImage d = decoder.decode(jpeg);
        int nk = cmyk[3]; // PIL: k' = 255 - K, n = 255 - k' = K
        int[] want = new int[3];
        for (int c = 0; c < 3; c++) {
            want[c] = nk - PilColor.mulDiv255(255 - cmyk[c], nk);
        }
        assertNear(want, d.pixel(16, 16));
    }

    @Test
    void ycckConvertsThroughLibjpegTablesThenPilCmyk() {
        byte[] px = {(byte) 100, (byte) 90, (byte) 200, (byte) 40};
        PilColor.ycckToCmyk(px);
        // libjpeg: C = 255 - (Y + 1.402 (Cr - 128)), M = 255 - (Y - 0.34414 (Cb - 128) - 0.71414 (Cr - 128)),
        // Y = 255 - (Y + 1.772 (Cb - 128)), each rounded and clamped; K unchanged.
        assertEquals(255 - (100 + 101), px[0] & 0xff);
        assertEquals(255 - (100 + (int) Math.floor(-0.34414 * -38 - 0.71414 * 72 + 0.5)), px[1] & 0xff);
        assertEquals(255 - (100 - 67), px[2] & 0xff);
        assertEquals(40, px[3] & 0xff);
        byte[] rgb = PilColor.invertedCmykToRgb(px);
        assertEquals(3, rgb.length);
        assertEquals(40 - PilColor.mulDiv255(255 - (px[0] & 0xff), 40), rgb[0] & 0xff);
    }

    @Test
    void jpegGrayAndProgressiveDecode() throws IOException {
        BufferedImage gray = new BufferedImage(40, 30, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSamples(0, 0, 40, 30, 0, new int[40 * 30]);
        gray.getRaster().setSample(3, 3, 0, 255);
        DecodedImage d = decoder.decode(jpeg(gray, 1.0f));
        int[] p = d.pixel(20, 20);
        assertTrue(p[0] == p[1] && p[1] == p[2] && p[0] < 4, Arrays.toString(p));

        BufferedImage src = rgbImage(80, 60);
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = w.getDefaultWriteParam();
        param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            w.setOutput(out);
            w.write(null, new IIOImage(src, null, null), param);
        } finally {
            w.dispose();
        }
        DecodedImage prog = decoder.decode(bytes.toByteArray());
        DecodedImage base = decoder.decode(jpeg(src, 0.75f));
        assertEquals(80, prog.width());
        int max = 0;
        for (int i = 0; i < base.rgb().length; i++) {
            max = Math.max(max, Math.abs((prog.rgb()[i] & 0xff) - (base.rgb()[i] & 0xff)));
        }
        assertTrue(max <= 2, "progressive vs baseline of the same quality: " + max);
    }

    @Test
    void decodedImageRejectsInconsistentBuffers() {
        assertThrows(IllegalArgumentException.class, () -> DecodedImage.ofRgb(new byte[5], 1, 2));
        assertThrows(IllegalArgumentException.class, () -> new DecodedImage(new byte[3], 1, 1, "png", 1, 1, 9));
        assertFalse(DecodedImage.ofRgb(new byte[3], 1, 1).equals(DecodedImage.ofRgb(new byte[] {1, 0, 0}, 1, 1)));
    }

    // ---------------------------------------------------------------- helpers

    private static void assertOneLine(ImageException e) {
        assertFalse(e.getMessage().isBlank());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    private static void assertNear(int[] expected, int[] actual) {
        for (int c = 0; c < 3; c++) {
            assertTrue(Math.abs(expected[c] - actual[c]) <= 6,
                    "expected ~" + Arrays.toString(expected) + " got " + Arrays.toString(actual));
        }
    }

    static BufferedImage rgbImage(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random rnd = new Random(w * 31L + h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = (x * 255 / Math.max(1, w - 1)) ^ (rnd.nextInt(16));
                int g = y * 255 / Math.max(1, h - 1);
                img.setRGB(x, y, r << 16 | g << 8 | ((x + y) * 5 & 0xff));
            }
        }
        return img;
    }

    /** Red, green / blue, white quadrants. */
    private static BufferedImage quadrants(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean right = x >= w / 2;
                boolean bottom = y >= h / 2;
                img.setRGB(x, y, !bottom ? (right ? 0x00ff00 : 0xff0000) : (right ? 0xffffff : 0x0000ff));
            }
        }
        return img;
    }

    private static BufferedImage indexedImage() {
        byte[] r = new byte[16];
        byte[] g = new byte[16];
        byte[] b = new byte[16];
        for (int i = 0; i < 16; i++) {
            r[i] = (byte) (i * 16);
            g[i] = (byte) (255 - i * 9);
            b[i] = (byte) (i * 37);
        }
        BufferedImage img = new BufferedImage(20, 10, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 16, r, g, b));
        for (int y = 0; y < 10; y++) {
            for (int x = 0; x < 20; x++) {
                img.getRaster().setSample(x, y, 0, (x + 3 * y) % 16);
            }
        }
        return img;
    }

    static byte[] encode(BufferedImage img, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(img, format, out)) {
                throw new IllegalStateException("no writer for " + format);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] png(BufferedImage img) {
        return encode(img, "png");
    }

    static byte[] jpeg(BufferedImage img, float quality) {
        return writeJpeg(new IIOImage(img, null, null), quality);
    }

    private static byte[] writeJpeg(IIOImage image, float quality) {
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = w.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(quality);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            w.setOutput(out);
            w.write(null, image, param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            w.dispose();
        }
        return bytes.toByteArray();
    }

    /** Inserts an Exif APP1 (TIFF header + IFD0 with one SHORT Orientation entry) right after SOI. */
    static byte[] withExifOrientation(byte[] jpeg, int orientation, boolean littleEndian) {
        ByteBuffer tiff = ByteBuffer.allocate(26).order(littleEndian
                ? java.nio.ByteOrder.LITTLE_ENDIAN : java.nio.ByteOrder.BIG_ENDIAN);
        tiff.put(littleEndian ? (byte) 'I' : (byte) 'M').put(littleEndian ? (byte) 'I' : (byte) 'M');
        tiff.putShort((short) 42).putInt(8);           // magic, offset of IFD0
        tiff.putShort((short) 1);                       // one entry
        tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1); // Orientation, SHORT, count 1
        tiff.putShort((short) orientation).putShort((short) 0);
        tiff.putInt(0);                                 // no next IFD
        byte[] exif = tiff.array();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0xff);
        out.write(0xd8);
        out.write(0xff);
        out.write(0xe1);
        int len = 2 + 6 + exif.length;
        out.write(len >> 8);
        out.write(len & 0xff);
        out.writeBytes(new byte[] {'E', 'x', 'i', 'f', 0, 0});
        out.writeBytes(exif);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    private static void writeChunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static int indexOfMarker(byte[] jpeg, int marker) {
        for (int i = 2; i + 1 < jpeg.length; i++) {
            if ((jpeg[i] & 0xff) == 0xff && (jpeg[i + 1] & 0xff) == marker) {
                return i;
            }
        }
        throw new IllegalStateException("marker not found");
    }

    private static int indexOf(byte[] data, byte value, int from) {
        for (int i = from; i < data.length; i++) {
            if (data[i] == value) {
                return i;
            }
        }
        throw new IllegalStateException("byte not found");
    }
}
