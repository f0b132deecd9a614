package dev.blip2serve.image;

import java.nio.charset.StandardCharsets;

/**
 * Reads the few container-level facts that ImageIO hides or interprets differently from PIL: the JPEG
 * color-space markers, the EXIF orientation, and the PNG IHDR. Pure byte parsing, bounds-checked, never
 * throws on malformed input (a header it cannot read counts as absent).
 */
final class ContainerHeaders {

    private ContainerHeaders() {
    }

    /** No Adobe APP14 marker. */
    static final int NO_ADOBE = -1;

    /**
     * What libjpeg needs to choose the JPEG color space, plus the orientation.
     *
     * @param jfif           a JFIF APP0 marker was seen (libjpeg: {@code saw_JFIF_marker})
     * @param adobeTransform Adobe APP14 transform byte, or {@link #NO_ADOBE}
     * @param componentIds   component ids from the first SOF marker (empty if none was found)
     * @param orientation    EXIF orientation (XMP {@code tiff:Orientation} as fallback), 1 if absent
     * @param singleScan     a sequential Huffman-coded frame whose first scan holds every component: libjpeg has all
     *                       pixels once that scan ends, so a missing EOI marker loses nothing
     * @param width          width the first SOF declares, 0 if none was found
     * @param height         height the first SOF declares, 0 if none was found
     */
    record JpegHeader(boolean jfif, int adobeTransform, int[] componentIds, int orientation, boolean singleScan,
                      int width, int height) {
    }

    private static final byte[] EXIF_ID = {'E', 'x', 'i', 'f', 0, 0};
    private static final byte[] XMP_ID = "http://ns.adobe.com/xap/1.0/\0".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] JFIF_ID = {'J', 'F', 'I', 'F', 0};
    private static final byte[] ADOBE_ID = {'A', 'd', 'o', 'b', 'e'};

    /** Walks the JPEG markers up to the first SOS, the way libjpeg's marker reader does. */
    static JpegHeader parseJpeg(byte[] d) {
        boolean jfif = false;
        int adobe = NO_ADOBE;
        int[] ids = new int[0];
        int exifOrientation = 0; // 0 = no EXIF orientation tag seen
        boolean exifSeen = false;
        int xmpOrientation = 0;
        int sof = -1;
        int sofWidth = 0;
        int sofHeight = 0;
        int scanComponents = 0;
        int i = 2; // after SOI
        while (i + 1 < d.length) {
            if ((d[i] & 0xff) != 0xff) { // junk between markers: libjpeg skips it with a warning
                i++;
                continue;
            }
            int marker = d[i + 1] & 0xff;
            if (marker == 0xff) { // fill byte
                i++;
                continue;
            }
            i += 2;
            if (marker == 0xda && i + 2 < d.length) {
                scanComponents = d[i + 2] & 0xff; // Ns, after the 2-byte length
            }
            if (marker == 0xd9 || marker == 0xda) { // EOI, SOS: header is over
                break;
            }
            if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8) || marker == 0x00) {
                continue; // no length field
            }
            if (i + 1 >= d.length) {
                break;
            }
            int len = u16be(d, i);
            int start = i + 2;
            int end = Math.min(d.length, i + len);
            if (len < 2) {
                break;
            }
            int n = end - start;
            if (marker == 0xe0 && n >= 14 && startsWith(d, start, end, JFIF_ID)) {
                jfif = true; // libjpeg requires the full 14-byte APP0 body
            } else if (marker == 0xee && n >= 12 && startsWith(d, start, end, ADOBE_ID)) {
                adobe = d[start + 11] & 0xff;
            } else if (marker == 0xe1 && !exifSeen && startsWith(d, start, end, EXIF_ID)) {
                exifSeen = true; // PIL keeps the first Exif APP1 only
                exifOrientation = tiffOrientation(d, start + EXIF_ID.length, end);
            } else if (marker == 0xe1 && xmpOrientation == 0 && startsWith(d, start, end, XMP_ID)) {
                xmpOrientation = xmpOrientation(d, start + XMP_ID.length, end);
            } else if (isSof(marker) && ids.length == 0 && n >= 6) {
                sof = marker;
                sofHeight = u16be(d, start + 1);
                sofWidth = u16be(d, start + 3);
                int count = d[start + 5] & 0xff;
                if (n >= 6 + 3 * count) {
                    ids = new int[count];
                    for (int c = 0; c < count; c++) {
                        ids[c] = d[start + 6 + 3 * c] & 0xff;
                    }
                }
            }
            i += len;
        }
        // Pillow's getexif(): the EXIF tag wins; XMP only when EXIF has no orientation.
        int orientation = exifOrientation != 0 ? exifOrientation : xmpOrientation;
        boolean sequential = sof == 0xc0 || sof == 0xc1; // Huffman: its decoder warns when a scan ends early
        return new JpegHeader(jfif, adobe, ids, validOrientation(orientation),
                sequential && ids.length > 0 && scanComponents == ids.length, sofWidth, sofHeight);
    }

    /** Whether a WebP is animated: a {@code VP8X} first chunk with its animation flag (bit 1 of the flags byte). */
    static boolean webpAnimated(byte[] d) {
        return d.length >= 21 && d[12] == 'V' && d[13] == 'P' && d[14] == '8' && d[15] == 'X' && (d[20] & 0x02) != 0;
    }

    /** HEIF brands libheif reads: HEVC still images and sequences, the generic MIAF/HEIF ones, AVIF. */
    private static final java.util.Set<String> HEIF_BRANDS = java.util.Set.of("heic", "heix", "heim", "heis", "hevc",
            "hevx", "hevm", "hevs", "mif1", "msf1", "avif", "avis");

    /**
     * The brand that makes an ISO-BMFF file HEIF or AVIF, from its {@code ftyp} box (major brand, then the compatible
     * ones): {@code avif}/{@code avis} where listed at all (AVIF files also list the generic {@code mif1}), else the
     * first HEIF brand; null when it is neither.
     */
    static String heifBrand(byte[] d) {
        if (d.length < 16 || d[4] != 'f' || d[5] != 't' || d[6] != 'y' || d[7] != 'p') {
            return null;
        }
        int end = (int) Math.min(d.length, Math.max(16, u32be(d, 0)));
        java.util.List<String> brands = new java.util.ArrayList<>();
        brands.add(new String(d, 8, 4, StandardCharsets.ISO_8859_1));
        for (int i = 16; i + 4 <= end; i += 4) { // after the major brand and the minor version
            brands.add(new String(d, i, 4, StandardCharsets.ISO_8859_1));
        }
        for (String b : brands) {
            if (b.equals("avif") || b.equals("avis")) {
                return b;
            }
        }
        return brands.stream().filter(HEIF_BRANDS::contains).findFirst().orElse(null);
    }

    private static boolean isSof(int m) {
        return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
    }

    /**
     * The EXIF orientation of a PNG: its {@code eXIf} chunk (before IDAT, where Pillow reads it), 1 if absent.
     */
    static int pngOrientation(byte[] d) {
        int i = 8;
        while (i + 8 <= d.length) {
            long len = u32be(d, i);
            if (len > d.length - i - 12L) {
                break;
            }
            int start = i + 8;
            int end = start + (int) len;
            if (d[i + 4] == 'I' && d[i + 5] == 'D' && d[i + 6] == 'A' && d[i + 7] == 'T') {
                break;
            }
            if (d[i + 4] == 'e' && d[i + 5] == 'X' && d[i + 6] == 'I' && d[i + 7] == 'f') {
                int off = startsWith(d, start, end, EXIF_ID) ? start + EXIF_ID.length : start;
                return validOrientation(tiffOrientation(d, off, end));
            }
            i = end + 4; // skip CRC
        }
        return 1;
    }

    /** The EXIF orientation of a WebP: its RIFF {@code EXIF} chunk, 1 if absent. */
    static int webpOrientation(byte[] d) {
        if (d.length < 12 || !startsWith(d, 0, d.length, "RIFF".getBytes(StandardCharsets.ISO_8859_1))) {
            return 1;
        }
        int i = 12;
        while (i + 8 <= d.length) {
            long len = u32le(d, i);
            if (len > d.length - i - 8L) {
                break;
            }
            int start = i + 8;
            int end = start + (int) len;
            if (d[i] == 'E' && d[i + 1] == 'X' && d[i + 2] == 'I' && d[i + 3] == 'F') {
                int off = startsWith(d, start, end, EXIF_ID) ? start + EXIF_ID.length : start;
                return validOrientation(tiffOrientation(d, off, end));
            }
            i = end + (int) (len & 1); // chunks are padded to even size
        }
        return 1;
    }

    /** Total file length a RIFF (WebP) header declares: its size field + 8. */
    static long riffLength(byte[] d) {
        return d.length < 8 ? Long.MAX_VALUE : u32le(d, 4) + 8;
    }

    /**
     * PNG IHDR bit depth and color type, or null if the data does not start with a PNG signature and IHDR.
     */
    static int[] pngBitDepthAndColorType(byte[] d) {
        if (d.length < 26 || (d[0] & 0xff) != 0x89 || d[1] != 'P' || d[2] != 'N' || d[3] != 'G'
                || d[12] != 'I' || d[13] != 'H' || d[14] != 'D' || d[15] != 'R') {
            return null;
        }
        return new int[] {d[24] & 0xff, d[25] & 0xff};
    }

    /** Tag 0x0112 of IFD0 in a TIFF structure at {@code [off, end)}; 0 if absent or unreadable. */
    static int tiffOrientation(byte[] d, int off, int end) {
        if (end - off < 8) {
            return 0;
        }
        boolean little;
        if (d[off] == 'I' && d[off + 1] == 'I') {
            little = true;
        } else if (d[off] == 'M' && d[off + 1] == 'M') {
            little = false;
        } else {
            return 0;
        }
        if (u16(d, off + 2, little) != 42) {
            return 0;
        }
        long ifd = u32(d, off + 4, little);
        if (ifd < 8 || ifd > end - off - 2L) {
            return 0;
        }
        int p = off + (int) ifd;
        int count = u16(d, p, little);
        p += 2;
        for (int e = 0; e < count && p + 12 <= end; e++, p += 12) {
            if (u16(d, p, little) != 0x0112) {
                continue;
            }
            int type = u16(d, p + 2, little);
            long n = u32(d, p + 4, little);
            if (n < 1) {
                return 0;
            }
            // The value fits in the 4-byte field for SHORT and LONG; PIL reads either.
            return switch (type) {
                case 3 -> u16(d, p + 8, little);
                case 4 -> (int) Math.min(u32(d, p + 8, little), Integer.MAX_VALUE);
                default -> 0;
            };
        }
        return 0;
    }

    /** Pillow's XMP fallback: the first {@code tiff:Orientation="N"} or {@code tiff:Orientation>N}. */
    static int xmpOrientation(byte[] d, int off, int end) {
        byte[] key = "tiff:Orientation".getBytes(StandardCharsets.ISO_8859_1);
        outer:
        for (int i = off; i + key.length < end; i++) {
            for (int k = 0; k < key.length; k++) {
                if (d[i + k] != key[k]) {
                    continue outer;
                }
            }
            int j = i + key.length;
            if (j + 2 < end && d[j] == '=' && d[j + 1] == '"' && isDigit(d[j + 2])) {
                return d[j + 2] - '0';
            }
            if (j + 1 < end && d[j] == '>' && isDigit(d[j + 1])) {
                return d[j + 1] - '0';
            }
        }
        return 0;
    }

    /** PIL's exif_transpose only acts on 2..8; anything else means "as stored". */
    private static int validOrientation(int v) {
        return v >= 1 && v <= 8 ? v : 1;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    private static boolean startsWith(byte[] d, int start, int end, byte[] prefix) {
        if (end - start < prefix.length) {
            return false;
        }
        for (int k = 0; k < prefix.length; k++) {
            if (d[start + k] != prefix[k]) {
                return false;
            }
        }
        return true;
    }

    private static int u16be(byte[] d, int i) {
        return ((d[i] & 0xff) << 8) | (d[i + 1] & 0xff);
    }

    private static long u32be(byte[] d, int i) {
        return ((long) (d[i] & 0xff) << 24) | ((d[i + 1] & 0xff) << 16) | ((d[i + 2] & 0xff) << 8) | (d[i + 3] & 0xff);
    }

    private static long u32le(byte[] d, int i) {
        return ((long) (d[i + 3] & 0xff) << 24) | ((d[i + 2] & 0xff) << 16) | ((d[i + 1] & 0xff) << 8) | (d[i] & 0xff);
    }

    private static int u16(byte[] d, int i, boolean little) {
        return little ? ((d[i + 1] & 0xff) << 8) | (d[i] & 0xff) : u16be(d, i);
    }

    private static long u32(byte[] d, int i, boolean little) {
        return little ? u32le(d, i) : u32be(d, i);
    }
}
