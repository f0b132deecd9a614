package dev.blip2serve.image;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Decodes JPEG through libjpeg-turbo's TurboJPEG library ({@code libturbojpeg.so.0}, Debian's {@code libturbojpeg0})
 * over the FFM API. The settings are Pillow's (its {@code JpegDecode.c} keeps libjpeg's defaults): the accurate
 * integer IDCT ({@code JDCT_ISLOW}), fancy (smooth) chroma upsampling, no DCT scaling unless asked for, and output
 * in the color space Pillow requests for the image's mode: gray, RGB, or CMYK (YCCK converted to CMYK by libjpeg).
 *
 * <p>ABI used (the TurboJPEG 2 API: Debian bookworm ships 2.1.5, which has no {@code tj3*} functions; libjpeg-turbo 3
 * keeps these as wrappers):
 * <pre>
 * tjhandle tjInitDecompress(void)                                             // NULL on failure
 * int      tjDecompressHeader3(tjhandle, const unsigned char *jpeg, unsigned long size,
 *                              int *width, int *height, int *subsamp, int *colorspace)
 * int      tjDecompress2(tjhandle, const unsigned char *jpeg, unsigned long size, unsigned char *dst,
 *                        int width, int pitch, int height, int pixelFormat, int flags)   // 0 ok, -1 error or warning
 * char    *tjGetErrorStr2(tjhandle)          int tjGetErrorCode(tjhandle)    // TJERR_WARNING 0, TJERR_FATAL 1
 * int      tjDestroy(tjhandle)
 * tjscalingfactor *tjGetScalingFactors(int *count)                            // { int num, denom; }[count]
 * </pre>
 * libjpeg's default error handler would call {@code exit()}; TurboJPEG installs its own that {@code longjmp}s back
 * and reports through the functions above, so corrupt data comes back as a return code, never a dead JVM. A handle
 * is made per call (cheap next to a decode) so instances are thread-safe.
 */
public final class TurboJpeg {

    /** What {@link #system()} loads: Debian's (and most distributions') name for the TurboJPEG library. */
    public static final String DEFAULT_LIBRARY = "libturbojpeg.so.0";

    /** System property naming another library file, or {@code none} to use the Java decoder. */
    public static final String LIBRARY_PROPERTY = "blip2.turbojpeg";

    static final int PF_RGB = 0;
    static final int PF_GRAY = 6;
    static final int PF_CMYK = 11;
    static final int CS_GRAY = 2;
    static final int CS_CMYK = 3;
    static final int CS_YCCK = 4;
    private static final int ERR_WARNING = 0;
    /** TJFLAG_ACCURATEDCT (JDCT_ISLOW, also the default) | TJFLAG_LIMITSCANS (refuse progressive scan bombs). */
    private static final int FLAGS = 4096 | 32768;

    /** How libjpeg's warnings begin; none of its errors does. */
    private static final String[] WARNING_TEXTS = {"Corrupt JPEG data", "Premature end of JPEG file", "Warning:",
        "Inconsistent progression sequence", "Invalid SOS parameters for sequential JPEG",
        "Unknown Adobe color transform code", "Application transferred too many scanlines"};

    private static final NativeLibrary.SystemCopy<TurboJpeg> SYSTEM =
            new NativeLibrary.SystemCopy<>(LIBRARY_PROPERTY, DEFAULT_LIBRARY, TurboJpeg::load);

    private final String library;
    private final NativeLibrary lib;
    private final MethodHandle init;
    private final MethodHandle header;
    private final MethodHandle decompress;
    private final MethodHandle errorString;
    private final MethodHandle errorCode;
    private final MethodHandle destroy;
    private final int[][] scalingFactors;

    private TurboJpeg(String library, NativeLibrary lib) {
        this.library = library;
        this.lib = lib;
        this.init = lib.function("tjInitDecompress", FunctionDescriptor.of(ADDRESS));
        this.header = lib.function("tjDecompressHeader3", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        this.decompress = lib.function("tjDecompress2", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        this.errorString = lib.function("tjGetErrorStr2", FunctionDescriptor.of(ADDRESS, ADDRESS));
        this.errorCode = lib.function("tjGetErrorCode", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        this.destroy = lib.function("tjDestroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        MethodHandle factors = lib.function("tjGetScalingFactors", FunctionDescriptor.of(ADDRESS, ADDRESS));
        this.scalingFactors = readScalingFactors(factors);
    }

    /**
     * The library the JVM finds under {@link #DEFAULT_LIBRARY} (or the file the {@value #LIBRARY_PROPERTY} system
     * property names), loaded once; empty where it is missing or the property is {@code none}.
     */
    public static Optional<TurboJpeg> system() {
        return SYSTEM.get();
    }

    /**
     * Loads TurboJPEG from a library name the dynamic loader resolves, or a path (containing {@code /}). The library
     * stays loaded for the life of the JVM.
     *
     * @throws ImageException the library does not load or lacks one of the functions above
     */
    public static TurboJpeg load(String library) {
        return new TurboJpeg(library, NativeLibrary.open("libturbojpeg", library));
    }

    /** The library as it was named when loaded. */
    public String library() {
        return library;
    }

    /**
     * The header facts TurboJPEG reads.
     *
     * @param width      stored width
     * @param height     stored height
     * @param subsamp    TurboJPEG's TJSAMP code (0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0, 3 = gray, 4 = 4:4:0, 5 = 4:1:1)
     * @param colorspace TJCS code (0 RGB, 1 YCbCr, 2 gray, 3 CMYK, 4 YCCK), as libjpeg guessed it from the markers
     */
    public record Header(int width, int height, int subsamp, int colorspace) {

        /** Samples per pixel of the output Pillow asks for: 1 (gray), 4 (CMYK, YCCK) or 3. */
        public int channels() {
            return switch (colorspace) {
                case CS_GRAY -> 1;
                case CS_CMYK, CS_YCCK -> 4;
                default -> 3;
            };
        }

        int pixelFormat() {
            return switch (channels()) {
                case 1 -> PF_GRAY;
                case 4 -> PF_CMYK;
                default -> PF_RGB;
            };
        }
    }

    /**
     * Decoded samples.
     *
     * @param header   the header as read
     * @param pixels   {@code height * width * channels} bytes, row-major, interleaved
     * @param width    decoded width (scaled if asked)
     * @param height   decoded height
     * @param channels 1 gray, 3 RGB, 4 CMYK
     * @param warning  the last libjpeg warning ({@code "Corrupt JPEG data: ..."}, {@code "Premature end of JPEG
     *                 file"}), or null; the samples are complete either way (libjpeg fills what is missing)
     */
    public record Samples(Header header, byte[] pixels, int width, int height, int channels, String warning) {
    }

    /** A TurboJPEG call that failed (not a warning): its message, and whether it was in the header. */
    static final class Failure extends ImageException {
        private final boolean inHeader;

        Failure(String message, boolean inHeader) {
            super(message);
            this.inHeader = inHeader;
        }

        boolean inHeader() {
            return inHeader;
        }
    }

    /**
     * Reads the header, lets {@code scaleFor} check it (it may throw, e.g. for too many pixels) and choose a factor
     * from {@link #scalingFactors()} ({@code {1, 1}}: the exact, unscaled decode), then decodes at that scale.
     *
     * @throws ImageException TurboJPEG fails (corrupt data, unsupported variant; {@link Failure} carries its
     *                        message); warnings are returned in the samples instead
     */
    public Samples decode(byte[] jpeg, boolean closeWithEoi, Function<Header, int[]> scaleFor) {
        try (Arena arena = Arena.ofConfined();
             NativeScratch.Lease input = NativeScratch.lease(jpeg.length + (closeWithEoi ? 2L : 0L))) {
            MemorySegment src = input.segment();
            MemorySegment.copy(jpeg, 0, src, JAVA_BYTE, 0, jpeg.length);
            if (closeWithEoi) {
                src.set(JAVA_BYTE, jpeg.length, (byte) 0xff);
                src.set(JAVA_BYTE, jpeg.length + 1L, (byte) 0xd9);
            }
            MemorySegment handle = open();
            try {
                return lib.call(() -> {
                    Header header = header(handle, src, arena);
                    int[] scale = scaleFor.apply(header);
                    int w = scaled(header.width(), scale);
                    int h = scaled(header.height(), scale);
                    int channels = header.channels();
                    long size = (long) w * h * channels;
                    if (size > Integer.MAX_VALUE - 8) {
                        throw new ImageException("jpeg image of " + w + "x" + h + " is too large to decode");
                    }
                    try (NativeScratch.Lease output = NativeScratch.lease(size)) {
                        MemorySegment dst = output.segment();
                        int rc = (int) decompress.invokeExact(handle, src, src.byteSize(), dst, w, w * channels, h,
                                header.pixelFormat(), FLAGS);
                        String warning = null;
                        if (rc != 0) {
                            // TurboJPEG 2 reports TJERR_WARNING for an error that followed a warning: the text decides.
                            String message = message(handle);
                            if ((int) errorCode.invokeExact(handle) != ERR_WARNING || !isWarning(message)) {
                                throw new Failure(message, false);
                            }
                            warning = message;
                        }
                        return new Samples(header, dst.toArray(JAVA_BYTE), w, h, channels, warning);
                    }
                });
            } finally {
                close(handle);
            }
        }
    }

    /** TurboJPEG's scaling factors, {@code {num, denom}}, largest first (2/1 down to 1/8 in libjpeg-turbo 2.1). */
    public int[][] scalingFactors() {
        int[][] copy = new int[scalingFactors.length][];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = scalingFactors[i].clone();
        }
        return copy;
    }

    /**
     * The smallest of the library's factors of at most 1/1 whose decode is still at least {@code minWidth} by
     * {@code minHeight} (TurboJPEG rounds scaled sizes up); {@code {1, 1}} when no smaller one fits.
     */
    public int[] smallestScaleAtLeast(int width, int height, int minWidth, int minHeight) {
        int[] best = {1, 1};
        for (int[] f : scalingFactors) {
            if ((long) f[0] * best[1] < (long) best[0] * f[1]
                    && scaled(width, f) >= minWidth && scaled(height, f) >= minHeight) {
                best = f;
            }
        }
        return best.clone();
    }

    /** Whether a libjpeg message is one of its warnings (the {@code JWRN_*} texts of jerror.h), not an error. */
    static boolean isWarning(String message) {
        for (String prefix : WARNING_TEXTS) {
            if (message.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** TurboJPEG's {@code TJSCALED}: {@code ceil(dim * num / denom)}. */
    static int scaled(int dim, int[] f) {
        return (int) (((long) dim * f[0] + f[1] - 1) / f[1]);
    }

    private Header header(MemorySegment handle, MemorySegment src, Arena arena) {
        MemorySegment out = arena.allocate(JAVA_INT, 4);
        return lib.call(() -> {
            int rc = (int) header.invokeExact(handle, src, src.byteSize(), out, out.asSlice(4), out.asSlice(8),
                    out.asSlice(12));
            if (rc != 0 && !isWarning(message(handle))) {
                throw new Failure(message(handle), true);
            }
            return new Header(out.getAtIndex(JAVA_INT, 0), out.getAtIndex(JAVA_INT, 1), out.getAtIndex(JAVA_INT, 2),
                    out.getAtIndex(JAVA_INT, 3));
        });
    }

    private MemorySegment open() {
        MemorySegment handle = lib.call(() -> (MemorySegment) init.invokeExact());
        if (handle.equals(MemorySegment.NULL)) {
            throw new ImageException("libturbojpeg could not make a decompressor");
        }
        return handle;
    }

    private void close(MemorySegment handle) {
        lib.call(() -> (int) destroy.invokeExact(handle));
    }

    /** The handle's error text without TurboJPEG's function prefix ("tjDecompress2(): "). */
    private String message(MemorySegment handle) throws Throwable {
        MemorySegment s = (MemorySegment) errorString.invokeExact(handle);
        String m = s.equals(MemorySegment.NULL) ? "unknown error" : s.reinterpret(1024).getString(0);
        int prefix = m.indexOf("(): ");
        return (prefix >= 0 && prefix < 40 ? m.substring(prefix + 4) : m).strip();
    }

    private int[][] readScalingFactors(MethodHandle factors) {
        return lib.call(() -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment count = arena.allocate(JAVA_INT);
                MemorySegment array = (MemorySegment) factors.invokeExact(count);
                int n = count.get(JAVA_INT, 0);
                if (array.equals(MemorySegment.NULL) || n <= 0 || n > 64) {
                    throw new ImageException("tjGetScalingFactors gave no factors");
                }
                MemorySegment a = array.reinterpret(8L * n);
                int[][] out = new int[n][];
                for (int i = 0; i < n; i++) {
                    out[i] = new int[] {a.getAtIndex(JAVA_INT, 2L * i), a.getAtIndex(JAVA_INT, 2L * i + 1)};
                }
                return out;
            }
        });
    }

    @Override
    public String toString() {
        return "TurboJpeg[" + library.toLowerCase(Locale.ROOT) + "]";
    }
}
