package dev.blip2serve.image;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * Decodes HEIF (HEIC from phones: HEVC inside) and AVIF (AV1 inside) through libheif ({@code libheif.so.1}, Debian's
 * {@code libheif1}) over the FFM API. Which codecs work depends on how libheif was built: Debian bookworm's 1.15 links
 * libde265 (HEVC) and dav1d / libaom (AV1) directly; {@link #canDecode(Kind)} asks the library.
 *
 * <p>ABI used (libheif 1.x, {@code heif.h}; errors come back by value as {@code struct heif_error
 * { int code; int subcode; const char *message; }}, code 0 = ok):
 * <pre>
 * const char*          heif_get_version(void)
 * int                  heif_have_decoder_for_format(int compression)        // HEVC 1, AV1 4
 * heif_context*        heif_context_alloc(void)                void heif_context_free(heif_context*)
 * void                 heif_context_set_maximum_image_size_limit(heif_context*, int maximum_width)
 * heif_error           heif_context_read_from_memory_without_copy(heif_context*, const void*, size_t, const void* options)
 * heif_error           heif_context_get_primary_image_handle(heif_context*, heif_image_handle**)
 * int                  heif_image_handle_get_width(const heif_image_handle*)    // also _get_height; after rotation
 * heif_error           heif_decode_image(const heif_image_handle*, heif_image**, int colorspace, int chroma,
 *                                        const heif_decoding_options*)   // RGB 1, interleaved RGB 10; NULL = defaults
 * int                  heif_image_get_width(const heif_image*, int channel)     // also _height; interleaved 10
 * int                  heif_image_get_bits_per_pixel_range(const heif_image*, int channel)
 * const uint8_t*       heif_image_get_plane_readonly(const heif_image*, int channel, int* stride)
 * void                 heif_image_release(const heif_image*)   void heif_image_handle_release(const heif_image_handle*)
 * </pre>
 * The default decoding options apply the container's rotation and mirroring ({@code irot}, {@code imir}), so the
 * result is already upright; an alpha channel is dropped (decoded as RGB), as PIL's {@code convert("RGB")} drops it.
 * The memory handed to libheif lives in a confined arena for the one call, and every native object is released in
 * {@code finally}. Instances are thread-safe (one context per call).
 */
public final class LibHeif {

    /** What {@link #system()} loads. */
    public static final String DEFAULT_LIBRARY = "libheif.so.1";

    /** System property naming another library file, or {@code none} to refuse HEIF and AVIF. */
    public static final String LIBRARY_PROPERTY = "blip2.libheif";

    /** The codec inside the container. */
    public enum Kind {
        /** HEIC: HEVC-coded images (iPhones since iOS 11). */
        HEIC(1),
        /** AVIF: AV1-coded images. */
        AVIF(4);

        private final int compression;

        Kind(int compression) {
            this.compression = compression;
        }
    }

    private static final StructLayout ERROR = MemoryLayout.structLayout(
            JAVA_INT.withName("code"), JAVA_INT.withName("subcode"), ADDRESS.withName("message"));
    private static final int COLORSPACE_RGB = 1;
    private static final int CHROMA_INTERLEAVED_RGB = 10;
    private static final int CHANNEL_INTERLEAVED = 10;

    private static final NativeLibrary.SystemCopy<LibHeif> SYSTEM =
            new NativeLibrary.SystemCopy<>(LIBRARY_PROPERTY, DEFAULT_LIBRARY, LibHeif::load);

    private final NativeLibrary lib;
    private final String version;
    private final MethodHandle haveDecoder;
    private final MethodHandle contextAlloc;
    private final MethodHandle contextFree;
    private final MethodHandle sizeLimit;
    private final MethodHandle readFromMemory;
    private final MethodHandle primaryHandle;
    private final MethodHandle handleWidth;
    private final MethodHandle handleHeight;
    private final MethodHandle decodeImage;
    private final MethodHandle imageWidth;
    private final MethodHandle imageHeight;
    private final MethodHandle bitsPerPixel;
    private final MethodHandle plane;
    private final MethodHandle imageRelease;
    private final MethodHandle handleRelease;

    private LibHeif(NativeLibrary lib) {
        this.lib = lib;
        MethodHandle getVersion = lib.function("heif_get_version", FunctionDescriptor.of(ADDRESS));
        this.haveDecoder = lib.function("heif_have_decoder_for_format", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        this.contextAlloc = lib.function("heif_context_alloc", FunctionDescriptor.of(ADDRESS));
        this.contextFree = lib.function("heif_context_free", FunctionDescriptor.ofVoid(ADDRESS));
        this.sizeLimit = lib.function("heif_context_set_maximum_image_size_limit",
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT));
        this.readFromMemory = lib.function("heif_context_read_from_memory_without_copy",
                FunctionDescriptor.of(ERROR, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
        this.primaryHandle = lib.function("heif_context_get_primary_image_handle",
                FunctionDescriptor.of(ERROR, ADDRESS, ADDRESS));
        this.handleWidth = lib.function("heif_image_handle_get_width", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        this.handleHeight = lib.function("heif_image_handle_get_height", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        this.decodeImage = lib.function("heif_decode_image",
                FunctionDescriptor.of(ERROR, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
        this.imageWidth = lib.function("heif_image_get_width", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        this.imageHeight = lib.function("heif_image_get_height", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        this.bitsPerPixel = lib.function("heif_image_get_bits_per_pixel_range",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        this.plane = lib.function("heif_image_get_plane_readonly",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
        this.imageRelease = lib.function("heif_image_release", FunctionDescriptor.ofVoid(ADDRESS));
        this.handleRelease = lib.function("heif_image_handle_release", FunctionDescriptor.ofVoid(ADDRESS));
        this.version = lib.call(() -> {
            MemorySegment v = (MemorySegment) getVersion.invokeExact();
            return v.equals(MemorySegment.NULL) ? "?" : v.reinterpret(64).getString(0);
        });
    }

    /** The library under {@link #DEFAULT_LIBRARY} (or {@value #LIBRARY_PROPERTY}), loaded once; empty if missing. */
    public static Optional<LibHeif> system() {
        return SYSTEM.get();
    }

    /**
     * Loads libheif from a name the dynamic loader resolves or a path; it stays loaded for the life of the JVM.
     *
     * @throws ImageException the library does not load or lacks a function above
     */
    public static LibHeif load(String library) {
        return new LibHeif(NativeLibrary.open("libheif", library));
    }

    /** {@code heif_get_version()}, e.g. {@code 1.15.1}. */
    public String version() {
        return version;
    }

    /** Whether this libheif has a decoder for the codec. */
    public boolean canDecode(Kind kind) {
        return lib.call(() -> (int) haveDecoder.invokeExact(kind.compression) != 0);
    }

    /**
     * Decodes the primary image to interleaved 8-bit RGB, upright.
     *
     * @param checkSize called with the declared width and height before any pixel is decoded (it may throw)
     * @return {@code {rgb, width, height}} as a {@link DecodedImage} of the given format name
     * @throws ImageException libheif refuses the data (its message), or the image is deeper than 8 bits
     */
    public DecodedImage decode(byte[] data, String format, BiConsumer<Integer, Integer> checkSize) {
        return lib.call(() -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment src = arena.allocateFrom(JAVA_BYTE, data);
                MemorySegment ctx = (MemorySegment) contextAlloc.invokeExact();
                if (ctx.equals(MemorySegment.NULL)) {
                    throw new ImageException("libheif could not make a context");
                }
                MemorySegment handle = MemorySegment.NULL;
                MemorySegment image = MemorySegment.NULL;
                try {
                    sizeLimit.invokeExact(ctx, 65535);
                    check((MemorySegment) readFromMemory.invokeExact((SegmentAllocator) arena, ctx, src,
                            (long) data.length, MemorySegment.NULL), format);
                    MemorySegment out = arena.allocate(ADDRESS);
                    check((MemorySegment) primaryHandle.invokeExact((SegmentAllocator) arena, ctx, out), format);
                    handle = out.get(ADDRESS, 0);
                    int w = (int) handleWidth.invokeExact(handle);
                    int h = (int) handleHeight.invokeExact(handle);
                    if (w <= 0 || h <= 0) {
                        throw new ImageException(format + " image declares an empty size " + w + "x" + h);
                    }
                    checkSize.accept(w, h);
                    check((MemorySegment) decodeImage.invokeExact((SegmentAllocator) arena, handle, out,
                            COLORSPACE_RGB, CHROMA_INTERLEAVED_RGB, MemorySegment.NULL), format);
                    image = out.get(ADDRESS, 0);
                    int bits = (int) bitsPerPixel.invokeExact(image, CHANNEL_INTERLEAVED);
                    if (bits != 8) {
                        throw new ImageException(
                                format + " image has " + bits + "-bit samples; only 8-bit is supported");
                    }
                    int iw = (int) imageWidth.invokeExact(image, CHANNEL_INTERLEAVED);
                    int ih = (int) imageHeight.invokeExact(image, CHANNEL_INTERLEAVED);
                    MemorySegment strideOut = arena.allocate(JAVA_INT);
                    MemorySegment pixels = (MemorySegment) plane.invokeExact(image, CHANNEL_INTERLEAVED, strideOut);
                    int stride = strideOut.get(JAVA_INT, 0);
                    if (pixels.equals(MemorySegment.NULL) || iw <= 0 || ih <= 0 || stride < 3 * iw) {
                        throw new ImageException(format + " image decoded without an RGB plane");
                    }
                    checkSize.accept(iw, ih);
                    MemorySegment rows = pixels.reinterpret((long) stride * ih);
                    byte[] rgb = new byte[Math.multiplyExact(3 * iw, ih)];
                    for (int y = 0; y < ih; y++) {
                        MemorySegment.copy(rows, JAVA_BYTE, (long) y * stride, rgb, y * 3 * iw, 3 * iw);
                    }
                    return new DecodedImage(rgb, iw, ih, format, iw, ih, 1);
                } finally {
                    if (!image.equals(MemorySegment.NULL)) {
                        imageRelease.invokeExact(image);
                    }
                    if (!handle.equals(MemorySegment.NULL)) {
                        handleRelease.invokeExact(handle);
                    }
                    contextFree.invokeExact(ctx);
                }
            }
        });
    }

    private static void check(MemorySegment error, String format) {
        int code = error.get(JAVA_INT, 0);
        if (code == 0) {
            return;
        }
        MemorySegment m = error.get(ADDRESS, 8);
        String message = m.equals(MemorySegment.NULL) ? "error " + code : m.reinterpret(512).getString(0);
        throw new ImageException("cannot decode " + format + " image: " + message);
    }
}
