package dev.blip2serve.image;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * Decodes still WebP (lossy and lossless) through libwebp ({@code libwebp.so.7}, Debian's {@code libwebp7}), the
 * library Pillow uses, over the FFM API: the same bytes as Pillow, where TwelveMonkeys' Java VP8 decoder is only close
 * and, on photos, two orders of magnitude slower.
 *
 * <p>ABI ({@code webp/decode.h}):
 * <pre>
 * int      WebPGetInfo(const uint8_t* data, size_t size, int* width, int* height)           // 0 = not WebP
 * uint8_t* WebPDecodeRGBInto(const uint8_t* data, size_t size, uint8_t* out, size_t out_size, int stride)
 *                                                                                 // NULL on failure, else out
 * </pre>
 * RGB output drops an alpha channel, as PIL's {@code convert("RGB")} does. Thread-safe (no shared state).
 */
public final class LibWebp {

    /** What {@link #system()} loads. */
    public static final String DEFAULT_LIBRARY = "libwebp.so.7";

    /** System property naming another library file, or {@code none} for the Java decoder. */
    public static final String LIBRARY_PROPERTY = "blip2.libwebp";

    private static final NativeLibrary.SystemCopy<LibWebp> SYSTEM = new NativeLibrary.SystemCopy<>(
            LIBRARY_PROPERTY, DEFAULT_LIBRARY, library -> new LibWebp(NativeLibrary.open("libwebp", library)));

    private final NativeLibrary lib;
    private final MethodHandle getInfo;
    private final MethodHandle decodeInto;

    private LibWebp(NativeLibrary lib) {
        this.lib = lib;
        this.getInfo = lib.function("WebPGetInfo",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
        this.decodeInto = lib.function("WebPDecodeRGBInto",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT));
    }

    /** The library under {@link #DEFAULT_LIBRARY} (or {@value #LIBRARY_PROPERTY}), loaded once; empty if missing. */
    public static Optional<LibWebp> system() {
        return SYSTEM.get();
    }

    /**
     * Decodes a still WebP to RGB.
     *
     * @param checkSize called with the declared size before any pixel is decoded (it may throw)
     * @throws ImageException libwebp refuses the header or the data
     */
    public byte[] decodeRgb(byte[] data, int[] size, BiConsumer<Integer, Integer> checkSize) {
        return lib.call(() -> {
            try (Arena arena = Arena.ofConfined(); NativeScratch.Lease input = NativeScratch.lease(data.length)) {
                MemorySegment src = input.segment();
                MemorySegment.copy(data, 0, src, JAVA_BYTE, 0, data.length);
                MemorySegment wh = arena.allocate(JAVA_INT, 2);
                if ((int) getInfo.invokeExact(src, (long) data.length, wh, wh.asSlice(4)) == 0) {
                    throw new ImageException("cannot decode webp image: libwebp cannot read its header");
                }
                int w = wh.getAtIndex(JAVA_INT, 0);
                int h = wh.getAtIndex(JAVA_INT, 1);
                checkSize.accept(w, h);
                long bytes = 3L * w * h;
                if (bytes > Integer.MAX_VALUE - 8) {
                    throw new ImageException("webp image of " + w + "x" + h + " is too large to decode");
                }
                try (NativeScratch.Lease output = NativeScratch.lease(bytes)) {
                    MemorySegment dst = output.segment();
                    MemorySegment r =
                            (MemorySegment) decodeInto.invokeExact(src, (long) data.length, dst, bytes, 3 * w);
                    if (r.equals(MemorySegment.NULL)) {
                        throw new ImageException(
                                "cannot decode webp image: libwebp refused the data (truncated or corrupt)");
                    }
                    size[0] = w;
                    size[1] = h;
                    return dst.toArray(JAVA_BYTE);
                }
            }
        });
    }
}
