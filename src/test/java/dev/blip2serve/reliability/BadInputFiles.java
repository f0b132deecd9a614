package dev.blip2serve.reliability;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * The generator of the hostile files in {@code src/test/resources/bad-inputs/}: each one is derived,
 * deterministically, from a fixture in {@code src/test/resources/images/} or {@code data/shapes-blip2/} or built
 * byte by byte here (PNG chunks with real CRCs, JPEG/GIF/BMP/WebP headers that lie about their size).
 *
 * <p>{@link BadInputFilesTest} checks that the committed files equal what this class generates; to regenerate them
 * after a change here run that test with {@code BAD_INPUTS_REGENERATE=1} in the environment.
 */
final class BadInputFiles {

    static final Path DIR = Path.of("src/test/resources/bad-inputs");
    static final Path EVAL_PNG = Path.of("data/shapes-blip2/eval/images/eval-0000.png");

    private BadInputFiles() {
    }

    /** Every generated file by name, in a stable order. */
    static Map<String, byte[]> generate() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        byte[] png = read(EVAL_PNG);
        byte[] jpeg = resource("images/q90_420.jpg");
        files.put("zero-bytes.png", new byte[0]);
        files.put("truncated-half.png", Arrays.copyOf(png, png.length / 2));
        files.put("truncated-signature.png", Arrays.copyOf(png, 12));
        files.put("truncated-half.jpg", Arrays.copyOf(jpeg, jpeg.length / 2));
        files.put("jpeg-soi-only.jpg", new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF});
        files.put("png-bomb-50000x50000.png", pngDeclaring(50_000, 50_000, 8, 2));
        files.put("png-max-int-dims.png", pngDeclaring(Integer.MAX_VALUE, Integer.MAX_VALUE, 8, 2));
        files.put("png-zero-width.png", pngDeclaring(0, 16, 8, 2));
        files.put("png-1bit-10000x10000.png", realPng1Bit(10_000, 10_000));
        files.put("png-corrupt-idat.png", corruptIdat(png));
        files.put("png-no-idat.png", pngNoIdat(8, 8));
        files.put("gif-screen-65535.gif", gifDeclaring(65_535, 65_535));
        files.put("jpeg-sof-65500x65500.jpg", jpegDeclaring(jpeg, 65_500, 65_500));
        files.put("jpeg-garbage-scan.jpg", garbageScan(jpeg));
        files.put("webp-riff-lies.webp", webpRiffLies(resource("images/lossy.webp")));
        files.put("bmp-100000x100000.bmp", bmpDeclaring(100_000, 100_000));
        files.put("exif-orientation-9.jpg", exifOrientation(resource("images/exif6.jpg"), 9));
        files.put("text.txt", "this is not an image, just text\n".getBytes(StandardCharsets.US_ASCII));
        files.put("document.pdf", ("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
                .getBytes(StandardCharsets.US_ASCII));
        files.put("page.html", "<!doctype html><html><body><img src=x onerror=alert(1)></body></html>\n"
                .getBytes(StandardCharsets.US_ASCII));
        files.put("drawing.svg", ("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\">"
                + "<rect width=\"64\" height=\"64\" fill=\"red\"/></svg>\n").getBytes(StandardCharsets.US_ASCII));
        byte[] random = new byte[4096];
        new Random(8).nextBytes(random);
        files.put("random-4k.bin", random);
        return files;
    }

    /** Writes every file into {@code dir}. */
    static void writeAll(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> f : generate().entrySet()) {
            Files.write(dir.resolve(f.getKey()), f.getValue());
        }
    }

    static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] resource(String name) {
        try (InputStream in = BadInputFiles.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("no test resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // --- PNG

    static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    static byte[] ihdr(int width, int height, int bitDepth, int colorType) {
        return ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) bitDepth).put((byte) colorType)
                .put((byte) 0).put((byte) 0).put((byte) 0).array();
    }

    static byte[] deflate(byte[] raw) {
        Deflater d = new Deflater(9);
        d.setInput(raw);
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[65536];
        while (!d.finished()) {
            out.write(buf, 0, d.deflate(buf));
        }
        d.end();
        return out.toByteArray();
    }

    /** A small PNG whose header declares {@code width x height}; its IDAT holds one row of zeros at most. */
    static byte[] pngDeclaring(int width, int height, int bitDepth, int colorType) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(PNG_SIGNATURE);
        chunk(out, "IHDR", ihdr(width, height, bitDepth, colorType));
        chunk(out, "IDAT", deflate(new byte[1 + Math.min(3 * Math.max(width, 0), 4096)]));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** A complete, valid 1-bit grey PNG (all black): a few KB on the wire, 100 megapixels when decoded. */
    static byte[] realPng1Bit(int width, int height) {
        int rowBytes = 1 + (width + 7) / 8;
        Deflater d = new Deflater(9);
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        byte[] row = new byte[rowBytes];
        byte[] buf = new byte[65536];
        for (int y = 0; y < height; y++) {
            d.setInput(row);
            while (!d.needsInput()) {
                idat.write(buf, 0, d.deflate(buf));
            }
        }
        d.finish();
        while (!d.finished()) {
            idat.write(buf, 0, d.deflate(buf));
        }
        d.end();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(PNG_SIGNATURE);
        chunk(out, "IHDR", ihdr(width, height, 1, 0));
        chunk(out, "IDAT", idat.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    static byte[] pngNoIdat(int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(PNG_SIGNATURE);
        chunk(out, "IHDR", ihdr(width, height, 8, 2));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** The fixture with the compressed data of its first IDAT overwritten by 0xFF (the CRC left stale). */
    static byte[] corruptIdat(byte[] png) {
        byte[] out = png.clone();
        int pos = 8;
        while (pos + 8 <= out.length) {
            int len = ByteBuffer.wrap(out, pos, 4).getInt();
            String type = new String(out, pos + 4, 4, StandardCharsets.US_ASCII);
            if (type.equals("IDAT")) {
                // keep the 2-byte zlib header, trash the deflate stream
                for (int i = pos + 8 + 2; i < pos + 8 + Math.min(len, 64); i++) {
                    out[i] = (byte) 0xFF;
                }
                return out;
            }
            pos += 12 + len;
        }
        throw new IllegalStateException("no IDAT");
    }

    // --- other containers

    /** GIF89a whose logical screen is {@code w x h}, with a 1x1 image in it. */
    static byte[] gifDeclaring(int w, int h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("GIF89a".getBytes(StandardCharsets.US_ASCII));
        out.write(w & 0xFF);
        out.write(w >> 8);
        out.write(h & 0xFF);
        out.write(h >> 8);
        out.write(0x80); // global colour table, 2 entries
        out.write(0);
        out.write(0);
        out.writeBytes(new byte[] {0, 0, 0, (byte) 255, (byte) 255, (byte) 255});
        out.writeBytes(new byte[] {0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0}); // image descriptor 1x1
        out.writeBytes(new byte[] {0x02, 0x02, 0x44, 0x01, 0x00}); // LZW min code 2, one sub-block, end
        out.write(0x3B);
        return out.toByteArray();
    }

    /** The JPEG with its SOF0/SOF2 frame size rewritten. */
    static byte[] jpegDeclaring(byte[] jpeg, int w, int h) {
        byte[] out = jpeg.clone();
        int sof = findMarker(out, 0xC0, 0xC2);
        out[sof + 5] = (byte) (h >> 8);
        out[sof + 6] = (byte) h;
        out[sof + 7] = (byte) (w >> 8);
        out[sof + 8] = (byte) w;
        return out;
    }

    /** The JPEG with everything after its SOS header replaced by seeded random bytes (no markers), then EOI. */
    static byte[] garbageScan(byte[] jpeg) {
        int sos = findMarker(jpeg, 0xDA, 0xDA);
        int headerLen = ((jpeg[sos + 2] & 0xFF) << 8) | (jpeg[sos + 3] & 0xFF);
        int dataStart = sos + 2 + headerLen;
        byte[] out = Arrays.copyOf(jpeg, jpeg.length);
        Random r = new Random(42);
        for (int i = dataStart; i < out.length - 2; i++) {
            int b = r.nextInt(256);
            out[i] = (byte) (b == 0xFF ? 0xFE : b);
        }
        return out;
    }

    private static int findMarker(byte[] jpeg, int a, int b) {
        for (int i = 2; i + 1 < jpeg.length; i++) {
            if ((jpeg[i] & 0xFF) == 0xFF && ((jpeg[i + 1] & 0xFF) == a || (jpeg[i + 1] & 0xFF) == b)) {
                return i;
            }
        }
        throw new IllegalStateException("marker not found");
    }

    /** The WebP with its RIFF length claiming 1 GB. */
    static byte[] webpRiffLies(byte[] webp) {
        byte[] out = webp.clone();
        ByteBuffer.wrap(out, 4, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(1 << 30);
        return out;
    }

    /** A 54-byte BMP header declaring {@code w x h} 24-bit pixels, with no pixel data. */
    static byte[] bmpDeclaring(int w, int h) {
        ByteBuffer b = ByteBuffer.allocate(54 + 16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'B').put((byte) 'M').putInt(54 + 16).putInt(0).putInt(54);
        b.putInt(40).putInt(w).putInt(h).putShort((short) 1).putShort((short) 24).putInt(0).putInt(0)
                .putInt(2835).putInt(2835).putInt(0).putInt(0);
        return b.array();
    }

    /** The EXIF JPEG (big-endian TIFF) with its Orientation value set to {@code value}. */
    static byte[] exifOrientation(byte[] jpeg, int value) {
        byte[] out = jpeg.clone();
        for (int i = 0; i + 9 < out.length; i++) {
            if (out[i] == 0x01 && out[i + 1] == 0x12 && out[i + 2] == 0x00 && out[i + 3] == 0x03) {
                out[i + 8] = (byte) (value >> 8);
                out[i + 9] = (byte) value;
                return out;
            }
        }
        throw new IllegalStateException("no Orientation tag");
    }
}
