package dev.blip2serve.image;

import com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi;
import com.twelvemonkeys.imageio.plugins.webp.WebPImageReaderSpi;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes JPEG, PNG, GIF (first frame), BMP, WebP, HEIC and AVIF bytes into 8-bit RGB exactly as PIL's
 * {@code Image.open(...)} followed by transformers' {@code convert_to_rgb} ({@code image.convert("RGB")}) would,
 * then applies the EXIF orientation like {@code ImageOps.exif_transpose}.
 *
 * <p>PIL behaviour reproduced here (deliberately, even where it is not what a color-managed viewer shows):
 * <ul>
 *   <li><b>Alpha is dropped, not composited</b>: {@code RGBA -> RGB} and {@code LA -> RGB} keep the stored
 *       color values; fully transparent pixels keep whatever color they store.</li>
 *   <li>Grayscale is replicated to R = G = B; palette images are looked up in their palette; 1/2/4-bit gray
 *       expands to 0..255 ({@code v * 255 / (2^bits - 1)}).</li>
 *   <li><b>16-bit PNG</b>: RGB(A) and gray+alpha keep the high byte of each sample (PIL's {@code RGB;16B},
 *       {@code RGBA;16B}, {@code LA;16B} unpackers). 16-bit gray without alpha opens as mode {@code I;16}, whose
 *       conversion to RGB <em>clips</em> at 255: values 0..255 stay, anything larger becomes 255.</li>
 *   <li><b>ICC profiles and PNG gamma are ignored</b>: samples are used as stored. For JPEG this means decoding
 *       to raw samples and converting YCbCr with libjpeg's integer tables (see {@link PilColor}).</li>
 *   <li><b>CMYK / YCCK JPEG</b>: libjpeg turns YCCK into CMYK; PIL then treats every 4-channel JPEG as inverted
 *       ("Adobe") CMYK and converts naively, {@code 255 - k - c(255 - k)/255}, with no ICC profile.</li>
 *   <li>EXIF orientation 2..8 (first {@code Exif} APP1 of a JPEG, with XMP {@code tiff:Orientation} as
 *       fallback; {@code eXIf} of a PNG; {@code EXIF} chunk of a WebP) is applied; other values mean "as stored".</li>
 *   <li>Truncated JPEG data is an error (PIL raises "image file is truncated"), but a missing EOI marker after
 *       complete data is tolerated (PIL tolerates it too).</li>
 * </ul>
 *
 * <p><b>JPEG through libjpeg-turbo</b>: where Debian's {@code libturbojpeg0} is installed, JPEG goes through
 * {@link TurboJpeg} (FFM), the library Pillow itself decodes with, with Pillow's settings (accurate integer IDCT,
 * fancy upsampling); where it is missing, or TurboJPEG 2 cannot classify the file's sampling factors, through the
 * JDK's libjpeg inside ImageIO. Both give the same bytes on the reference images (the 4:4:0 layout excepted, below).
 * Optionally ({@code dctScaling}, off by default) a large JPEG is decoded through libjpeg-turbo's DCT scaling at the
 * smallest size not below what {@link #decode(byte[], int, int)} is asked for: much faster for photos, but no
 * longer the pixels Pillow's full decode gives (docs/benchmarks/image-decode.md measures how far).
 *
 * <p>Verified byte for byte against Pillow (see the test resources' {@code make_reference.py}): PNG in every
 * bit depth and color type, baseline 4:2:0 / 4:2:2 / 4:4:4, progressive, gray, CMYK and ICC-tagged JPEG, all
 * eight orientations, GIF, BMP and WebP. Still WebP goes through {@link LibWebp} (Pillow's libwebp) where Debian's
 * {@code libwebp7} is installed, and only then is <b>lossy WebP</b> exact: TwelveMonkeys' Java VP8 decoder (the
 * fallback, and for animations) is only approximately equal (on a 512x512 photo at q80: mean 2.3 levels, max 39).
 * HEIC and AVIF need {@link LibHeif}; without it they are refused with an {@link UnsupportedImageException}. The
 * JDK's JPEG fallback matches libjpeg-turbo except for the rare 4:4:0 (h1v2) layout, which libjpeg-turbo upsamples
 * smoothly, and it has no arithmetic decoder; an animated or offset GIF yields its first frame's own rectangle,
 * where PIL pads it to the logical screen.
 *
 * <p>Decompression bombs: the declared width x height is checked against {@link #maxPixels()} before any pixel
 * is decoded. Every failure (empty, unknown format, truncated, corrupt, too large) is an {@link ImageException}
 * with a one-line message. Instances are immutable and thread-safe.
 */
public final class ImageDecoder {

    /** Default limit on declared pixels: 50 megapixels. */
    public static final long DEFAULT_MAX_PIXELS = 50_000_000L;

    static {
        // Register the TwelveMonkeys readers explicitly: ServiceLoader discovery depends on the context class
        // loader of whichever thread first touched ImageIO, which is unreliable in fat jars and test runners.
        IIORegistry registry = IIORegistry.getDefaultInstance();
        if (registry.getServiceProviderByClass(JPEGImageReaderSpi.class) == null) {
            registry.registerServiceProvider(new JPEGImageReaderSpi());
        }
        if (registry.getServiceProviderByClass(WebPImageReaderSpi.class) == null) {
            registry.registerServiceProvider(new WebPImageReaderSpi());
        }
    }

    private final long maxPixels;
    private final boolean applyOrientation;
    private final TurboJpeg turboJpeg; // null: JPEG through ImageIO
    private final boolean dctScaling;
    private final LibHeif libHeif; // null: HEIC and AVIF refused
    private final LibWebp libWebp; // null: WebP through TwelveMonkeys

    /** A decoder with the default 50-megapixel limit that applies EXIF orientation. */
    public ImageDecoder() {
        this(DEFAULT_MAX_PIXELS, true);
    }

    /**
     * A decoder that reads JPEG through {@link TurboJpeg#system()} where it is installed, exactly (no DCT scaling).
     *
     * @param maxPixels        largest accepted declared {@code width * height}, positive
     * @param applyOrientation whether to apply the EXIF orientation (PIL {@code ImageOps.exif_transpose})
     */
    public ImageDecoder(long maxPixels, boolean applyOrientation) {
        this(maxPixels, applyOrientation, TurboJpeg.system().orElse(null), false);
    }

    /**
     * @param maxPixels        largest accepted declared {@code width * height}, positive
     * @param applyOrientation whether to apply the EXIF orientation (PIL {@code ImageOps.exif_transpose})
     * @param turboJpeg        the TurboJPEG library for JPEG, or null for the JDK's decoder
     * @param dctScaling       let {@link #decode(byte[], int, int)} reduce JPEGs in the DCT domain (needs
     *                         {@code turboJpeg}: the JDK's decoder cannot, and ignores it)
     */
    public ImageDecoder(long maxPixels, boolean applyOrientation, TurboJpeg turboJpeg, boolean dctScaling) {
        this(maxPixels, applyOrientation, turboJpeg, dctScaling, LibHeif.system().orElse(null),
                turboJpeg == null ? null : LibWebp.system().orElse(null));
    }

    /**
     * As above, with the libheif for HEIC and AVIF (null: refuse them) and the libwebp for still WebP (null: the Java
     * decoder) given. The public constructors pair libwebp with TurboJPEG: a decoder without TurboJPEG is the
     * pure-Java one through and through.
     */
    ImageDecoder(long maxPixels, boolean applyOrientation, TurboJpeg turboJpeg, boolean dctScaling, LibHeif libHeif,
                 LibWebp libWebp) {
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
        }
        this.maxPixels = maxPixels;
        this.applyOrientation = applyOrientation;
        this.turboJpeg = turboJpeg;
        this.dctScaling = dctScaling && turboJpeg != null;
        this.libHeif = libHeif;
        this.libWebp = libWebp;
    }

    /** The TurboJPEG library JPEGs go through, if any. */
    public Optional<TurboJpeg> turboJpeg() {
        return Optional.ofNullable(turboJpeg);
    }

    /** Whether {@link #decode(byte[], int, int)} may reduce JPEGs in the DCT domain. */
    public boolean dctScaling() {
        return dctScaling;
    }

    /** The largest accepted declared pixel count. */
    public long maxPixels() {
        return maxPixels;
    }

    /**
     * Maps the native buffers that decoding a JPEG or WebP photo of {@code pixels} pixels (at most
     * {@link #maxPixels()}) needs, so that the first such request after start pays none of their page faults (for a
     * 12 MP photo ~35 ms on the project's VM). It keeps them mapped: about {@code 3.5 * pixels} bytes.
     */
    public void reserveNativeBuffers(long pixels) {
        if (turboJpeg == null && libWebp == null) {
            return;
        }
        long n = Math.min(pixels, maxPixels);
        NativeScratch.reserve(n / 2, 3 * n); // the file (a phone JPEG is < 0.5 byte per pixel) and its RGB
    }

    /** Container formats this decoder accepts. */
    enum Format {
        JPEG, PNG, GIF, BMP, WEBP, HEIC, AVIF;

        String lowerName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Decodes an encoded image to RGB.
     *
     * @param data the file content
     * @return the RGB pixels with metadata
     * @throws ImageException if the data is empty, not a supported format, declares more than
     *                        {@link #maxPixels()} pixels, or cannot be decoded completely
     */
    public DecodedImage decode(byte[] data) {
        return decode(data, 0, 0);
    }

    /**
     * Decodes an encoded image to RGB for a consumer that needs at least {@code minWidth x minHeight} pixels (after
     * orientation). With {@link #dctScaling()} a JPEG may come back smaller than stored, never below that size;
     * otherwise this is {@link #decode(byte[])}. {@link DecodedImage#originalWidth()} stays the stored size.
     *
     * @throws ImageException as {@link #decode(byte[])}
     */
    public DecodedImage decode(byte[] data, int minWidth, int minHeight) {
        if (data == null || data.length == 0) {
            throw new ImageException("empty image data");
        }
        Format format = sniff(data);
        if (format == null) {
            throw new ImageException("unrecognized image format (supported: JPEG, PNG, GIF, BMP, WebP, HEIC, AVIF)");
        }
        try {
            if (format == Format.HEIC || format == Format.AVIF) {
                return decodeHeif(data, format);
            }
            if (format == Format.WEBP && libWebp != null && !ContainerHeaders.webpAnimated(data)) {
                return decodeWebp(data);
            }
            if (format == Format.JPEG && turboJpeg != null) {
                DecodedImage turbo = decodeTurbo(data, dctScaling ? minWidth : 0, dctScaling ? minHeight : 0);
                if (turbo != null) {
                    return turbo;
                }
            }
            return decode(data, format);
        } catch (ImageException e) {
            throw e;
        } catch (OutOfMemoryError e) {
            // Only reachable when the pixel limit is set above what the heap holds.
            throw new ImageException("not enough memory to decode " + format.lowerName() + " image", e);
        } catch (IOException | RuntimeException e) {
            throw new ImageException("cannot decode " + format.lowerName() + " image: " + describe(e), e);
        }
    }

    private DecodedImage decode(byte[] data, Format format) throws IOException {
        if (format == Format.WEBP) {
            // TwelveMonkeys' WebP decoder returns garbage rather than failing on cut data; libwebp (PIL) fails.
            long declared = ContainerHeaders.riffLength(data);
            if (declared > data.length) {
                throw new ImageException("truncated webp data (RIFF header declares " + declared + " bytes, got "
                        + data.length + ")");
            }
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            ImageReader reader = readerFor(format);
            try {
                reader.setInput(in, false, false);
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, message) -> warnings.add(String.valueOf(message)));

                // Header only: the bomb check must come before any pixel buffer exists.
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                if (width <= 0 || height <= 0) {
                    throw new ImageException(format.lowerName() + " image declares an empty size " + width + "x" + height);
                }
                checkPixels(format, width, height);

                byte[] rgb;
                int orientation;
                if (format == Format.JPEG) {
                    ContainerHeaders.JpegHeader header = ContainerHeaders.parseJpeg(data);
                    Raster raster = reader.readRaster(0, null);
                    checkTruncation(warnings);
                    rgb = jpegToRgb(raster, header, width, height);
                    orientation = header.orientation();
                } else {
                    BufferedImage image = reader.read(0, null);
                    int[] png = format == Format.PNG ? ContainerHeaders.pngBitDepthAndColorType(data) : null;
                    rgb = toRgb(image, png, width, height);
                    orientation = switch (format) {
                        case PNG -> ContainerHeaders.pngOrientation(data);
                        case WEBP -> ContainerHeaders.webpOrientation(data);
                        default -> 1;
                    };
                }
                if (!applyOrientation) {
                    orientation = 1;
                }
                return Orientation.apply(rgb, width, height, orientation, format.lowerName());
            } finally {
                reader.dispose();
            }
        }
    }

    private void checkPixels(Format format, int width, int height) {
        long pixels = (long) width * height;
        if (pixels > maxPixels) {
            throw new ImageException(format.lowerName() + " image is " + width + "x" + height + " = " + pixels
                    + " pixels, over the limit of " + maxPixels);
        }
    }

    /**
     * JPEG through TurboJPEG; null where TurboJPEG 2 refuses a header only for its sampling factors (it names
     * 4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1 and gray; libjpeg itself decodes others), so the JDK's decoder takes it.
     */
    private DecodedImage decodeTurbo(byte[] data, int minWidth, int minHeight) {
        ContainerHeaders.JpegHeader markers = ContainerHeaders.parseJpeg(data);
        // libjpeg refuses sides over 65500 before we could: the SOF's own size goes through the limit first.
        checkPixels(Format.JPEG, markers.width(), markers.height());
        int orientation = applyOrientation ? markers.orientation() : 1;
        boolean transposed = orientation >= 5;
        // TurboJPEG's source makes up an EOI at the end of the data and warns alike for a cut scan and a missing
        // EOI; with a real EOI after a one-scan file, only a cut scan warns ("premature end of data segment").
        boolean closeWithEoi = markers.singleScan() && !endsWithEoi(data);
        TurboJpeg.Samples s;
        try {
            s = turboJpeg.decode(data, closeWithEoi, h -> {
                if (h.width() <= 0 || h.height() <= 0) { // TurboJPEG 2 passes a header without a frame
                    throw new ImageException("cannot decode jpeg image: no frame header (SOF) in the data");
                }
                checkPixels(Format.JPEG, h.width(), h.height());
                if (minWidth <= 0 || minHeight <= 0) {
                    return new int[] {1, 1};
                }
                return turboJpeg.smallestScaleAtLeast(h.width(), h.height(), transposed ? minHeight : minWidth,
                        transposed ? minWidth : minHeight);
            });
        } catch (TurboJpeg.Failure f) {
            if (f.inHeader() && f.getMessage().toLowerCase(Locale.ROOT).contains("subsampling")) {
                return null;
            }
            throw new ImageException("cannot decode jpeg image: " + f.getMessage(), f);
        }
        // Pillow's suspending source waits for data that never comes: any premature end is a truncated file.
        if (s.warning() != null && s.warning().toLowerCase(Locale.ROOT).contains("premature end")) {
            throw new ImageException("truncated or corrupt jpeg data (" + s.warning() + ")");
        }
        byte[] rgb = switch (s.channels()) {
            case 1 -> grayToRgb(s.pixels());
            case 4 -> PilColor.invertedCmykToRgb(s.pixels());
            default -> s.pixels();
        };
        DecodedImage oriented = Orientation.apply(rgb, s.width(), s.height(), orientation, Format.JPEG.lowerName());
        return new DecodedImage(oriented.rgb(), oriented.width(), oriented.height(), oriented.format(),
                s.header().width(), s.header().height(), oriented.orientation());
    }

    private static boolean endsWithEoi(byte[] d) {
        return d.length >= 2 && (d[d.length - 2] & 0xff) == 0xff && (d[d.length - 1] & 0xff) == 0xd9;
    }

    /** Still WebP through libwebp (Pillow's library); animations stay with the Java decoder (first frame). */
    private DecodedImage decodeWebp(byte[] data) {
        long declared = ContainerHeaders.riffLength(data);
        if (declared > data.length) {
            throw new ImageException("truncated webp data (RIFF header declares " + declared + " bytes, got "
                    + data.length + ")");
        }
        int[] size = new int[2];
        byte[] rgb = libWebp.decodeRgb(data, size, (w, h) -> checkPixels(Format.WEBP, w, h));
        int orientation = applyOrientation ? ContainerHeaders.webpOrientation(data) : 1;
        return Orientation.apply(rgb, size[0], size[1], orientation, Format.WEBP.lowerName());
    }

    /** HEIC and AVIF through libheif, which applies the container's rotation and mirroring itself. */
    private DecodedImage decodeHeif(byte[] data, Format format) {
        LibHeif.Kind kind = format == Format.HEIC ? LibHeif.Kind.HEIC : LibHeif.Kind.AVIF;
        if (libHeif == null) {
            throw new UnsupportedImageException(format.lowerName() + " images need libheif (Debian: libheif1), which"
                    + " is not installed here; send JPEG, PNG or WebP");
        }
        if (!libHeif.canDecode(kind)) {
            throw new UnsupportedImageException("this libheif " + libHeif.version() + " has no " + format.lowerName()
                    + " decoder (HEVC: libde265, AV1: dav1d or libaom); send JPEG, PNG or WebP");
        }
        return libHeif.decode(data, format.lowerName(), (w, h) -> checkPixels(format, w, h));
    }

    private static Format sniff(byte[] d) {
        if (d.length >= 3 && (d[0] & 0xff) == 0xff && (d[1] & 0xff) == 0xd8 && (d[2] & 0xff) == 0xff) {
            return Format.JPEG;
        }
        if (d.length >= 8 && (d[0] & 0xff) == 0x89 && d[1] == 'P' && d[2] == 'N' && d[3] == 'G'
                && d[4] == 0x0d && d[5] == 0x0a && d[6] == 0x1a && d[7] == 0x0a) {
            return Format.PNG;
        }
        if (d.length >= 6 && d[0] == 'G' && d[1] == 'I' && d[2] == 'F' && d[3] == '8'
                && (d[4] == '7' || d[4] == '9') && d[5] == 'a') {
            return Format.GIF;
        }
        if (d.length >= 2 && d[0] == 'B' && d[1] == 'M') {
            return Format.BMP;
        }
        if (d.length >= 12 && d[0] == 'R' && d[1] == 'I' && d[2] == 'F' && d[3] == 'F'
                && d[8] == 'W' && d[9] == 'E' && d[10] == 'B' && d[11] == 'P') {
            return Format.WEBP;
        }
        return ContainerHeaders.heifBrand(d) == null ? null : switch (ContainerHeaders.heifBrand(d)) {
            case "avif", "avis" -> Format.AVIF;
            default -> Format.HEIC;
        };
    }

    private static ImageReader readerFor(Format format) {
        ImageReader fallback = null;
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.lowerName());
        while (readers.hasNext()) {
            ImageReader r = readers.next();
            // Prefer TwelveMonkeys (robust JPEG segment handling, CMYK/YCCK, WebP).
            if (r.getClass().getName().startsWith("com.twelvemonkeys.")) {
                if (fallback != null) {
                    fallback.dispose();
                }
                return r;
            }
            if (fallback == null) {
                fallback = r;
            } else {
                r.dispose();
            }
        }
        if (fallback == null) {
            throw new ImageException("no ImageIO reader available for " + format.lowerName());
        }
        return fallback;
    }

    /** libjpeg reports missing scan data as warnings and fills with gray; PIL refuses such files. */
    private static void checkTruncation(List<String> warnings) {
        for (String w : warnings) {
            if (w.toLowerCase(Locale.ROOT).contains("premature end")) {
                throw new ImageException("truncated or corrupt jpeg data (" + w.strip() + ")");
            }
        }
    }

    /** Raw JPEG samples to RGB: the color space choice of libjpeg's {@code default_decompress_parms}. */
    private static byte[] jpegToRgb(Raster raster, ContainerHeaders.JpegHeader h, int width, int height) {
        if (raster.getWidth() != width || raster.getHeight() != height
                || raster.getTransferType() != DataBuffer.TYPE_BYTE) {
            throw new ImageException("unsupported jpeg layout (" + raster.getWidth() + "x" + raster.getHeight()
                    + ", transfer type " + raster.getTransferType() + ")");
        }
        int bands = raster.getNumBands();
        byte[] raw = bytes(raster);
        switch (bands) {
            case 1:
                return grayToRgb(raw);
            case 3: {
                boolean rgb;
                if (h.jfif()) {
                    rgb = false; // JFIF implies YCbCr
                } else if (h.adobeTransform() != ContainerHeaders.NO_ADOBE) {
                    rgb = h.adobeTransform() == 0;
                } else {
                    int[] id = h.componentIds();
                    rgb = id.length == 3 && id[0] == 'R' && id[1] == 'G' && id[2] == 'B';
                }
                if (!rgb) {
                    PilColor.yccToRgb(raw);
                }
                return raw;
            }
            case 4: {
                // Adobe transform 0 = CMYK; any other Adobe transform = YCCK; no Adobe marker = CMYK.
                int t = h.adobeTransform();
                if (t != ContainerHeaders.NO_ADOBE && t != 0) {
                    PilColor.ycckToCmyk(raw);
                }
                return PilColor.invertedCmykToRgb(raw);
            }
            default:
                throw new ImageException("unsupported jpeg with " + bands + " components");
        }
    }

    /** Interleaved bytes of all bands, row-major. */
    private static byte[] bytes(Raster r) {
        int w = r.getWidth();
        int h = r.getHeight();
        int bands = r.getNumBands();
        if (isPackedInterleaved(r)) {
            // The decoder's own buffer is already exactly this layout (the usual JPEG case): no per-pixel copy.
            return ((DataBufferByte) r.getDataBuffer()).getData();
        }
        byte[] out = new byte[w * h * bands];
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            r.getPixels(r.getMinX(), r.getMinY() + y, w, 1, row);
            int o = y * w * bands;
            for (int i = 0; i < row.length; i++) {
                out[o + i] = (byte) row[i];
            }
        }
        return out;
    }

    /** One byte bank holding exactly {@code h} rows of {@code w} pixels of bands 0, 1, ... in order, no padding. */
    private static boolean isPackedInterleaved(Raster r) {
        if (!(r.getDataBuffer() instanceof DataBufferByte buffer) || buffer.getNumBanks() != 1
                || !(r.getSampleModel() instanceof PixelInterleavedSampleModel sm)
                || r.getSampleModelTranslateX() != 0 || r.getSampleModelTranslateY() != 0
                || buffer.getOffset() != 0) {
            return false;
        }
        int bands = r.getNumBands();
        int[] offsets = sm.getBandOffsets();
        for (int b = 0; b < bands; b++) {
            if (offsets[b] != b) {
                return false;
            }
        }
        return sm.getPixelStride() == bands && sm.getScanlineStride() == r.getWidth() * bands
                && sm.getWidth() == r.getWidth() && sm.getHeight() == r.getHeight()
                && buffer.getData().length == r.getWidth() * r.getHeight() * bands;
    }

    private static byte[] grayToRgb(byte[] gray) {
        byte[] out = new byte[gray.length * 3];
        for (int i = 0; i < gray.length; i++) {
            out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = gray[i];
        }
        return out;
    }

    /**
     * A decoded {@link BufferedImage} to RGB bytes, interpreting the raw samples as PIL would (never through
     * {@code getRGB}, which would apply Java2D's color management, e.g. a linear-to-sRGB curve for gray).
     *
     * @param png PNG {bit depth, color type} from IHDR, or null for other formats
     */
    static byte[] toRgb(BufferedImage image, int[] png, int width, int height) {
        if (image.getWidth() != width || image.getHeight() != height) {
            throw new ImageException("decoder returned " + image.getWidth() + "x" + image.getHeight()
                    + " for a " + width + "x" + height + " image");
        }
        ColorModel cm = image.getColorModel();
        if (cm.isAlphaPremultiplied()) {
            image.coerceData(false); // PIL stores straight (unpremultiplied) color
            cm = image.getColorModel();
        }
        Raster r = image.getRaster();
        int n = width * height;
        byte[] out = new byte[n * 3];
        int bands = r.getNumBands();
        int[] row = new int[width * bands];

        if (cm instanceof IndexColorModel icm) {
            int size = icm.getMapSize();
            byte[] reds = new byte[size];
            byte[] greens = new byte[size];
            byte[] blues = new byte[size];
            icm.getReds(reds);
            icm.getGreens(greens);
            icm.getBlues(blues);
            int[] idx = new int[width];
            for (int y = 0; y < height; y++) {
                r.getSamples(r.getMinX(), r.getMinY() + y, width, 1, 0, idx);
                for (int x = 0; x < width; x++) {
                    int i = idx[x];
                    int o = (y * width + x) * 3;
                    if (i >= 0 && i < size) { // an index past the palette reads as black
                        out[o] = reds[i];
                        out[o + 1] = greens[i];
                        out[o + 2] = blues[i];
                    }
                }
            }
            return out;
        }

        int colors = cm.getNumColorComponents();
        if (colors != 1 && colors != 3) {
            throw new ImageException("unsupported color model with " + colors + " color components");
        }
        int[] bits = new int[colors];
        for (int c = 0; c < colors; c++) {
            bits[c] = r.getSampleModel().getSampleSize(c);
        }
        boolean direct = cm instanceof DirectColorModel;
        boolean component = cm instanceof ComponentColorModel;
        if (!direct && !component) {
            throw new ImageException("unsupported color model " + cm.getClass().getSimpleName());
        }
        // PNG 16-bit gray without alpha is PIL mode I;16: conversion to RGB clips instead of shifting.
        boolean clip16 = png != null && png[0] == 16 && png[1] == 0;
        for (int y = 0; y < height; y++) {
            r.getPixels(r.getMinX(), r.getMinY() + y, width, 1, row);
            for (int x = 0; x < width; x++) {
                int p = x * bands;
                int o = (y * width + x) * 3;
                if (colors == 1) {
                    byte v = (byte) channel(row[p], bits[0], clip16);
                    out[o] = out[o + 1] = out[o + 2] = v;
                } else {
                    for (int c = 0; c < 3; c++) {
                        out[o + c] = (byte) channel(row[p + c], bits[c], false);
                    }
                }
            }
        }
        return out;
    }

    private static int channel(int v, int bits, boolean clip16) {
        if (bits == 16) {
            return clip16 ? Math.min(v, 255) : v >>> 8; // PIL's ;16B unpackers keep the most significant byte
        }
        if (bits < 8) {
            return PilColor.scaleTo8(v, bits);
        }
        if (bits > 8) {
            return v >>> (bits - 8);
        }
        return v;
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        String name = e.getClass().getSimpleName();
        if (m == null || m.isBlank()) {
            return name;
        }
        int nl = m.indexOf('\n');
        return (nl < 0 ? m : m.substring(0, nl)).strip();
    }
}
